CREATE TABLE "scoring_alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"msisdn" text NOT NULL,
	"imei" text,
	"operator_id" text,
	"person_key" text,
	"rule" text NOT NULL,
	"score" double precision NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"evidence" jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"closed_by" text,
	"close_reason" text
);
--> statement-breakpoint
CREATE TABLE "scoring_allowlist" (
	"msisdn" text PRIMARY KEY NOT NULL,
	"operator_id" text,
	"reason" text NOT NULL,
	"added_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scoring_imei_state" (
	"stream" text NOT NULL,
	"imei" text NOT NULL,
	"state" jsonb NOT NULL,
	CONSTRAINT "scoring_imei_state_stream_imei_pk" PRIMARY KEY("stream","imei")
);
--> statement-breakpoint
CREATE TABLE "scoring_line_state" (
	"stream" text NOT NULL,
	"msisdn" text NOT NULL,
	"state" jsonb NOT NULL,
	CONSTRAINT "scoring_line_state_stream_msisdn_pk" PRIMARY KEY("stream","msisdn")
);
--> statement-breakpoint
CREATE TABLE "scoring_streams" (
	"stream" text PRIMARY KEY NOT NULL,
	"clock" jsonb NOT NULL,
	"next_offset" bigint,
	"generation" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scoring_thresholds" (
	"rule" text PRIMARY KEY NOT NULL,
	"params" jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "scoring_allowlist" ADD CONSTRAINT "scoring_allowlist_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "scoring_alerts_subject_rule_window_key" ON "scoring_alerts" USING btree ("subject","rule","window_end");--> statement-breakpoint
CREATE INDEX "scoring_alerts_msisdn_idx" ON "scoring_alerts" USING btree ("msisdn","status");--> statement-breakpoint
CREATE INDEX "scoring_alerts_operator_idx" ON "scoring_alerts" USING btree ("operator_id","id");--> statement-breakpoint
CREATE INDEX "scoring_alerts_person_idx" ON "scoring_alerts" USING btree ("person_key");--> statement-breakpoint
CREATE INDEX "scoring_line_state_msisdn_idx" ON "scoring_line_state" USING btree ("msisdn");