CREATE TABLE "exempt_account_representatives" (
	"account_id" text NOT NULL,
	"person_key" text NOT NULL,
	"added_by" text NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "exempt_account_representatives_account_id_person_key_pk" PRIMARY KEY("account_id","person_key")
);
--> statement-breakpoint
CREATE TABLE "sim_acquisition_limits" (
	"country" text PRIMARY KEY NOT NULL,
	"max_new_sims" integer NOT NULL,
	"window_days" integer NOT NULL,
	"conservative" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "verification_uses" (
	"country" text NOT NULL,
	"method" text NOT NULL,
	"reference" text NOT NULL,
	"person_key" text NOT NULL,
	"first_used_at" timestamp with time zone NOT NULL,
	CONSTRAINT "verification_uses_country_method_reference_pk" PRIMARY KEY("country","method","reference")
);
--> statement-breakpoint
ALTER TABLE "registrations" ADD COLUMN "iccid_legacy_reuse" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "exempt_account_representatives" ADD CONSTRAINT "exempt_account_representatives_account_id_cap_exempt_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."cap_exempt_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exempt_account_representatives" ADD CONSTRAINT "exempt_account_representatives_person_key_persons_person_key_fk" FOREIGN KEY ("person_key") REFERENCES "public"."persons"("person_key") ON DELETE no action ON UPDATE cascade;