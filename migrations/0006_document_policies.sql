CREATE TABLE "document_policies" (
	"country" text PRIMARY KEY NOT NULL,
	"national_documents" text[] NOT NULL,
	"foreign_documents" text[] NOT NULL,
	"resident_documents" text[] NOT NULL,
	"conservative" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "personal_number_sealed" text;