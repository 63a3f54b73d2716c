CREATE TABLE "rate_buckets" (
	"scope" text NOT NULL,
	"subject" text NOT NULL,
	"tokens" double precision NOT NULL,
	"refilled_at" timestamp with time zone NOT NULL,
	"granted" integer NOT NULL,
	CONSTRAINT "rate_buckets_scope_subject_pk" PRIMARY KEY("scope","subject")
);
