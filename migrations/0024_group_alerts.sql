CREATE TABLE "scoring_group_alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule" text NOT NULL,
	"group_key" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"score" double precision NOT NULL,
	"members" jsonb NOT NULL,
	"member_count" integer NOT NULL,
	"evidence" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scoring_group_state" (
	"stream" text NOT NULL,
	"group_key" text NOT NULL,
	"state" text NOT NULL,
	CONSTRAINT "scoring_group_state_stream_group_key_pk" PRIMARY KEY("stream","group_key")
);
--> statement-breakpoint
ALTER TABLE "scoring_alerts" ADD COLUMN "group_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "scoring_group_alerts_key" ON "scoring_group_alerts" USING btree ("rule","group_key","window_end");--> statement-breakpoint
CREATE INDEX "scoring_alerts_group_idx" ON "scoring_alerts" USING btree ("created_at") WHERE "scoring_alerts"."group_key" is not null;