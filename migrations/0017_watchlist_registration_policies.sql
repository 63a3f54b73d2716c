CREATE TABLE "watchlist_registration_policies" (
	"country" text PRIMARY KEY NOT NULL,
	"listed_identity" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "watchlist_registration_policies_listed_identity_check" CHECK ("watchlist_registration_policies"."listed_identity" in ('allow', 'refuse'))
);
