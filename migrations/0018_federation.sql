CREATE TABLE "federation_statuses" (
	"id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"request_timestamp" timestamp with time zone NOT NULL,
	"total_count" integer NOT NULL,
	"success_count" integer NOT NULL,
	"failure_count" integer NOT NULL,
	"successes" jsonb NOT NULL,
	"failures" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "watchlist_indicators" ADD COLUMN "federation_xid" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "watchlist_indicators" ADD COLUMN "federation_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "federation_statuses_partner_idx" ON "federation_statuses" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "watchlist_indicators_federation_idx" ON "watchlist_indicators" USING btree ("federation_xid","federation_seq");