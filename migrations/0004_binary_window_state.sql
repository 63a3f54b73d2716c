-- Window state moves from one JSON document per line or IMEI to binary rows: a line's own fields
-- in scoring_line_state, its hour buckets in a ring of slots in scoring_line_hours, IMEIs in
-- scoring_imei_state. Stored JSON is not converted: stream heads and state are cleared, so the
-- scorer reads each partition again from the earliest retained offset and rebuilds its windows;
-- alerts already stored are not raised twice (unique subject, rule, window_end). drizzle-kit
-- wrote the type changes as "undefined"."bytea" (a custom type); fixed by hand.
TRUNCATE "scoring_streams", "scoring_line_state", "scoring_imei_state";--> statement-breakpoint
ALTER TABLE "scoring_imei_state" ALTER COLUMN "state" SET DATA TYPE bytea USING NULL;--> statement-breakpoint
ALTER TABLE "scoring_line_state" ALTER COLUMN "state" SET DATA TYPE bytea USING NULL;--> statement-breakpoint
CREATE TABLE "scoring_line_hours" (
	"stream" text NOT NULL,
	"msisdn" text NOT NULL,
	"slot" smallint NOT NULL,
	"hour" integer NOT NULL,
	"state" "bytea" NOT NULL,
	CONSTRAINT "scoring_line_hours_stream_msisdn_slot_pk" PRIMARY KEY("stream","msisdn","slot")
) WITH (fillfactor = 70);
