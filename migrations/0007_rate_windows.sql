CREATE TABLE "rate_windows" (
	"scope" text NOT NULL,
	"subject" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "rate_windows_scope_subject_pk" PRIMARY KEY("scope","subject")
);
