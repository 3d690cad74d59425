-- Concurrency limits and run priorities (docs/manifest.md, "Concurrency and priorities").
-- A run copies its automation's concurrency limit and its key's value at creation; a running limited
-- run holds one row of run_slots, and the unique slot number per automation and key caps how many do.

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "concurrency_key" TEXT,
ADD COLUMN     "concurrency_limit" INTEGER,
ADD COLUMN     "priority" SMALLINT NOT NULL DEFAULT 5;

-- CreateTable
CREATE TABLE "run_slots" (
    "run_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "automation_id" UUID NOT NULL,
    "key" TEXT NOT NULL DEFAULT '',
    "slot_no" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "run_slots_pkey" PRIMARY KEY ("run_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "run_slots_automation_id_key_slot_no_key" ON "run_slots"("automation_id", "key", "slot_no");

-- CreateIndex: the line of a limited automation (and key), in the order its runs start. Partial: only
-- limited runs are in it, so runs without a limit (every update of theirs) never maintain it. Prisma's
-- schema cannot express a partial index; schema.prisma says so where the index would be.
CREATE INDEX "runs_automation_id_concurrency_key_status_priority_created__idx" ON "runs"("automation_id", "concurrency_key", "status", "priority" DESC, "created_at", "id") WHERE "concurrency_limit" IS NOT NULL;

-- AddForeignKey
ALTER TABLE "run_slots" ADD CONSTRAINT "run_slots_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
