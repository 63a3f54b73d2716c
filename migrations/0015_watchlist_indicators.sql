CREATE TABLE "watchlist_indicators" (
	"id" text PRIMARY KEY NOT NULL,
	"stix_id" text NOT NULL,
	"type" text NOT NULL,
	"value" text NOT NULL,
	"bank_code" text DEFAULT '' NOT NULL,
	"category" text NOT NULL,
	"confidence" integer NOT NULL,
	"tlp" text NOT NULL,
	"share_with" text[] NOT NULL,
	"status" text NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"description" text NOT NULL,
	"case_ref" text,
	"source_country" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoke_reason" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "watchlist_indicators_value_key" ON "watchlist_indicators" USING btree ("type","value","bank_code");--> statement-breakpoint
CREATE UNIQUE INDEX "watchlist_indicators_stix_key" ON "watchlist_indicators" USING btree ("stix_id");--> statement-breakpoint
CREATE INDEX "watchlist_indicators_updated_idx" ON "watchlist_indicators" USING btree ("updated_at");