ALTER TABLE "scoring_group_state" ADD COLUMN "member" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "scoring_group_state" DROP CONSTRAINT "scoring_group_state_stream_group_key_pk";--> statement-breakpoint
ALTER TABLE "scoring_group_state" ADD CONSTRAINT "scoring_group_state_stream_group_key_member_pk" PRIMARY KEY("stream","group_key","member");
