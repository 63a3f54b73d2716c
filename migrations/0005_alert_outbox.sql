ALTER TABLE "scoring_alerts" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
-- Alerts raised before the outbox were published as they committed (or, without Kafka, never will be).
UPDATE "scoring_alerts" SET "published_at" = "created_at";--> statement-breakpoint
CREATE INDEX "scoring_alerts_unpublished_idx" ON "scoring_alerts" USING btree ("id") WHERE "scoring_alerts"."published_at" is null;
