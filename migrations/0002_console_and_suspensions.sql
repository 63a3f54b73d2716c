CREATE TABLE "console_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "console_users" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"must_change_password" boolean DEFAULT true NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"password_changed_at" timestamp with time zone,
	CONSTRAINT "console_users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "login_throttle" (
	"subject" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "cell_sites" (
	"operator_id" text NOT NULL,
	"cell_id" text NOT NULL,
	"radio" text NOT NULL,
	"lat" double precision NOT NULL,
	"lon" double precision NOT NULL,
	"range_m" integer NOT NULL,
	"uploaded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cell_sites_operator_id_cell_id_pk" PRIMARY KEY("operator_id","cell_id")
);
--> statement-breakpoint
CREATE TABLE "order_cells" (
	"order_id" text NOT NULL,
	"operator_id" text NOT NULL,
	"cell_id" text NOT NULL,
	"radio" text NOT NULL,
	"lat" double precision NOT NULL,
	"lon" double precision NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"cause" text,
	"reported_at" timestamp with time zone,
	CONSTRAINT "order_cells_order_id_operator_id_cell_id_pk" PRIMARY KEY("order_id","operator_id","cell_id")
);
--> statement-breakpoint
CREATE TABLE "order_operators" (
	"order_id" text NOT NULL,
	"operator_id" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_key_id" text,
	CONSTRAINT "order_operators_order_id_operator_id_pk" PRIMARY KEY("order_id","operator_id")
);
--> statement-breakpoint
CREATE TABLE "suspension_orders" (
	"id" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"version" integer NOT NULL,
	"amends_id" text,
	"state" text NOT NULL,
	"zone_id" text NOT NULL,
	"zone_version" integer NOT NULL,
	"measure" text NOT NULL,
	"services" text[] NOT NULL,
	"operator_ids" text[] NOT NULL,
	"coverage" text DEFAULT 'inside' NOT NULL,
	"exempt_cells" text[] DEFAULT '{}'::text[] NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"legal_basis" text NOT NULL,
	"reasons" text NOT NULL,
	"drafted_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"submitted_by" text,
	"submitted_at" timestamp with time zone,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"decision_note" text,
	"lifted_by" text,
	"lifted_at" timestamp with time zone,
	"lift_note" text,
	"superseded_at" timestamp with time zone,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"review_note" text
);
--> statement-breakpoint
CREATE TABLE "zone_versions" (
	"zone_id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"risk_level" text NOT NULL,
	"geometry" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "zone_versions_zone_id_version_pk" PRIMARY KEY("zone_id","version")
);
--> statement-breakpoint
CREATE TABLE "zones" (
	"id" text PRIMARY KEY NOT NULL,
	"current_version" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_user_id_console_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."console_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cell_sites" ADD CONSTRAINT "cell_sites_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_cells" ADD CONSTRAINT "order_cells_order_id_suspension_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."suspension_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_cells" ADD CONSTRAINT "order_cells_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_operators" ADD CONSTRAINT "order_operators_order_id_suspension_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."suspension_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_operators" ADD CONSTRAINT "order_operators_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suspension_orders" ADD CONSTRAINT "suspension_orders_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suspension_orders" ADD CONSTRAINT "suspension_orders_drafted_by_console_users_id_fk" FOREIGN KEY ("drafted_by") REFERENCES "public"."console_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zone_versions" ADD CONSTRAINT "zone_versions_zone_id_zones_id_fk" FOREIGN KEY ("zone_id") REFERENCES "public"."zones"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zone_versions" ADD CONSTRAINT "zone_versions_created_by_console_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."console_users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_sessions_user_idx" ON "console_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "cell_sites_lat_lon_idx" ON "cell_sites" USING btree ("lat","lon");--> statement-breakpoint
CREATE INDEX "order_operators_operator_idx" ON "order_operators" USING btree ("operator_id");--> statement-breakpoint
CREATE UNIQUE INDEX "suspension_orders_reference_version_key" ON "suspension_orders" USING btree ("reference","version");--> statement-breakpoint
CREATE INDEX "suspension_orders_state_idx" ON "suspension_orders" USING btree ("state","starts_at");