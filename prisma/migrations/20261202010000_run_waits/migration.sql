-- Approvals and durable sleep: what a waiting attempt waits for and the answer it got; approval
-- deadlines on inbox items; who started a run (shown to whoever approves its requests).
ALTER TABLE "run_attempts" ADD COLUMN "wait" JSONB, ADD COLUMN "answer" JSONB;
ALTER TABLE "inbox_items" ADD COLUMN "expires_at" TIMESTAMPTZ(3);
ALTER TABLE "runs" ADD COLUMN "created_by_kind" TEXT, ADD COLUMN "created_by" TEXT;
