CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"operator_id" text NOT NULL,
	"key_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "operators" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"country" text NOT NULL,
	"mcc_mnc" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_heads" (
	"shard" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"shard" text NOT NULL,
	"seq" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text NOT NULL,
	"action" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"outcome" text NOT NULL,
	"data" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"operator_id" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"status" integer NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_operator_id_key_pk" PRIMARY KEY("operator_id","key")
);
--> statement-breakpoint
CREATE TABLE "cap_exempt_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"operator_id" text NOT NULL,
	"account_ref" text NOT NULL,
	"kind" text NOT NULL,
	"sim_limit" integer NOT NULL,
	"approved_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "persons" (
	"person_key" text PRIMARY KEY NOT NULL,
	"document_type" text NOT NULL,
	"document_country" text NOT NULL,
	"nationality" text NOT NULL,
	"full_name_sealed" text NOT NULL,
	"document_number_sealed" text NOT NULL,
	"date_of_birth_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"flagged_at" timestamp with time zone,
	"flag_reason" text
);
--> statement-breakpoint
CREATE TABLE "registrations" (
	"id" text PRIMARY KEY NOT NULL,
	"operator_id" text NOT NULL,
	"country" text NOT NULL,
	"msisdn" text NOT NULL,
	"iccid" text NOT NULL,
	"imsi" text NOT NULL,
	"person_key" text NOT NULL,
	"exempt_account_id" text,
	"status" text NOT NULL,
	"verification_method" text NOT NULL,
	"verification_reference" text NOT NULL,
	"verification_score" double precision NOT NULL,
	"verified_at" timestamp with time zone NOT NULL,
	"pos_agent_id" text NOT NULL,
	"pos_outlet_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"deregistered_at" timestamp with time zone,
	"deregistration_reason" text,
	"quarantine_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sim_caps" (
	"country" text PRIMARY KEY NOT NULL,
	"per_operator" integer NOT NULL,
	"national" integer,
	"cooling_off_hours" integer DEFAULT 0 NOT NULL,
	"conservative" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "verification_policies" (
	"country" text PRIMARY KEY NOT NULL,
	"methods" text[] NOT NULL,
	"min_score" double precision NOT NULL,
	"max_age_seconds" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cap_exempt_accounts" ADD CONSTRAINT "cap_exempt_accounts_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registrations" ADD CONSTRAINT "registrations_operator_id_operators_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."operators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registrations" ADD CONSTRAINT "registrations_person_key_persons_person_key_fk" FOREIGN KEY ("person_key") REFERENCES "public"."persons"("person_key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registrations" ADD CONSTRAINT "registrations_exempt_account_id_cap_exempt_accounts_id_fk" FOREIGN KEY ("exempt_account_id") REFERENCES "public"."cap_exempt_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_operator_idx" ON "api_keys" USING btree ("operator_id");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_shard_seq_key" ON "audit_log" USING btree ("shard","seq");--> statement-breakpoint
CREATE INDEX "audit_log_subject_idx" ON "audit_log" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "cap_exempt_accounts_ref_key" ON "cap_exempt_accounts" USING btree ("operator_id","account_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "registrations_active_msisdn_key" ON "registrations" USING btree ("msisdn") WHERE "registrations"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "registrations_active_iccid_key" ON "registrations" USING btree ("iccid") WHERE "registrations"."status" = 'active';--> statement-breakpoint
CREATE INDEX "registrations_person_idx" ON "registrations" USING btree ("person_key","country","status");--> statement-breakpoint
CREATE INDEX "registrations_msisdn_idx" ON "registrations" USING btree ("msisdn","created_at");--> statement-breakpoint
CREATE INDEX "registrations_operator_created_idx" ON "registrations" USING btree ("operator_id","created_at");