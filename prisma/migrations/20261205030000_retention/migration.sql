-- Retention (docs/operations.md "Retention"): per-workspace settings and the indexes its batched deletes
-- look rows up by. The bounds are the API's (libs/contracts/src/retention.ts); the worker skips a
-- workspace whose row holds values outside them (changed by hand) rather than delete by them. (No CHECK
-- constraints: Prisma 6.19's WASM schema engine aborts on them in `migrate diff`, the drift check.)
-- AlterTable
ALTER TABLE "workspaces" ADD COLUMN     "audit_retention_days" INTEGER NOT NULL DEFAULT 365,
ADD COLUMN     "keep_runs_per_automation" INTEGER NOT NULL DEFAULT 100,
ADD COLUMN     "retention_checked_at" TIMESTAMPTZ(3),
ADD COLUMN     "run_retention_days" INTEGER NOT NULL DEFAULT 30;

-- CreateIndex
CREATE INDEX "notification_deliveries_run_id_idx" ON "notification_deliveries"("run_id");

-- CreateIndex
CREATE INDEX "repairs_run_id_idx" ON "repairs"("run_id");

-- CreateIndex
CREATE INDEX "runs_workspace_id_finished_at_idx" ON "runs"("workspace_id", "finished_at");

