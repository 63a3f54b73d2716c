ALTER TABLE "audit_log" ADD COLUMN "key_id" text;--> statement-breakpoint
CREATE INDEX "audit_log_unkeyed_idx" ON "audit_log" USING btree ("shard","seq") WHERE key_id is null;