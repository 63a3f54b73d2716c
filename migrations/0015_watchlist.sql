CREATE TABLE "watchlist_indicator_sources" (
	"indicator_id" text NOT NULL,
	"source_org" text NOT NULL,
	"is_owner" boolean NOT NULL,
	"confidence" integer NOT NULL,
	"description" text NOT NULL,
	"case_ref" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "watchlist_indicator_sources_indicator_id_source_org_pk" PRIMARY KEY("indicator_id","source_org")
);
--> statement-breakpoint
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
CREATE TABLE "watchlist_lifetimes" (
	"type" text PRIMARY KEY NOT NULL,
	"default_days" integer NOT NULL,
	"max_days" integer NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "watchlist_sightings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"indicator_id" text NOT NULL,
	"kind" text NOT NULL,
	"note" text NOT NULL,
	"by_org" text NOT NULL,
	"by_actor" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "watchlist_warninglist" (
	"type" text NOT NULL,
	"value" text NOT NULL,
	"bank_code" text DEFAULT '' NOT NULL,
	"reason" text NOT NULL,
	"description" text NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "watchlist_warninglist_type_value_bank_code_pk" PRIMARY KEY("type","value","bank_code")
);
--> statement-breakpoint
ALTER TABLE "operators" ADD COLUMN "kind" text DEFAULT 'operator' NOT NULL;--> statement-breakpoint
ALTER TABLE "operators" ADD COLUMN "bank_code" text;--> statement-breakpoint
ALTER TABLE "watchlist_indicator_sources" ADD CONSTRAINT "watchlist_indicator_sources_indicator_id_watchlist_indicators_id_fk" FOREIGN KEY ("indicator_id") REFERENCES "public"."watchlist_indicators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watchlist_sightings" ADD CONSTRAINT "watchlist_sightings_indicator_id_watchlist_indicators_id_fk" FOREIGN KEY ("indicator_id") REFERENCES "public"."watchlist_indicators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "watchlist_indicators_value_key" ON "watchlist_indicators" USING btree ("type","value","bank_code");--> statement-breakpoint
CREATE UNIQUE INDEX "watchlist_indicators_stix_key" ON "watchlist_indicators" USING btree ("stix_id");--> statement-breakpoint
CREATE INDEX "watchlist_indicators_updated_idx" ON "watchlist_indicators" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "watchlist_sightings_indicator_idx" ON "watchlist_sightings" USING btree ("indicator_id","at");