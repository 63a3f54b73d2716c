CREATE TABLE "federation_imports" (
	"stix_id" text PRIMARY KEY NOT NULL,
	"pull_id" text NOT NULL,
	"indicator_id" text NOT NULL,
	"source_modified" timestamp with time zone NOT NULL,
	"source_revoked" boolean DEFAULT false NOT NULL,
	"imported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "federation_pulls" (
	"id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"country" text NOT NULL,
	"taxii_url" text NOT NULL,
	"api_root" text,
	"collection_id" text,
	"key_sealed" text NOT NULL,
	"cursor_next" text,
	"added_after" timestamp with time zone,
	"imported" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"revoked" integer DEFAULT 0 NOT NULL,
	"refused" integer DEFAULT 0 NOT NULL,
	"recent_lags_ms" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"last_success_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error" text,
	"failures" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_pulls_partner_id_unique" UNIQUE("partner_id")
);
--> statement-breakpoint
CREATE TABLE "federation_sighting_outbox" (
	"pull_id" text NOT NULL,
	"stix_id" text NOT NULL,
	"kind" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"sent_count" integer DEFAULT 0 NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_error" text,
	"sent_at" timestamp with time zone,
	CONSTRAINT "federation_sighting_outbox_pull_id_stix_id_kind_minute_pk" PRIMARY KEY("pull_id","stix_id","kind","minute")
);
--> statement-breakpoint
CREATE TABLE "federation_received_sightings" (
	"partner_id" text NOT NULL,
	"sighting_id" text NOT NULL,
	"indicator_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_received_sightings_partner_id_sighting_id_pk" PRIMARY KEY("partner_id","sighting_id")
);
--> statement-breakpoint
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
ALTER TABLE "federation_imports" ADD CONSTRAINT "federation_imports_pull_id_federation_pulls_id_fk" FOREIGN KEY ("pull_id") REFERENCES "public"."federation_pulls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "federation_imports" ADD CONSTRAINT "federation_imports_indicator_id_watchlist_indicators_id_fk" FOREIGN KEY ("indicator_id") REFERENCES "public"."watchlist_indicators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "federation_pulls" ADD CONSTRAINT "federation_pulls_partner_id_operators_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "federation_sighting_outbox" ADD CONSTRAINT "federation_sighting_outbox_pull_id_federation_pulls_id_fk" FOREIGN KEY ("pull_id") REFERENCES "public"."federation_pulls"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "federation_imports_indicator_idx" ON "federation_imports" USING btree ("indicator_id");--> statement-breakpoint
CREATE INDEX "federation_sighting_outbox_owed_idx" ON "federation_sighting_outbox" USING btree ("pull_id") WHERE "federation_sighting_outbox"."count" > "federation_sighting_outbox"."sent_count";--> statement-breakpoint
CREATE INDEX "federation_statuses_partner_idx" ON "federation_statuses" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "watchlist_indicators_federation_idx" ON "watchlist_indicators" USING btree ("federation_xid","federation_seq");