-- Events: ctx.emit is memoized by the emitted event's own row (source_run_id, source_key), and routing
-- keeps the subscribers it created no run for.
-- AlterTable
ALTER TABLE "emitted_events" ADD COLUMN     "skipped" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "source_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "emitted_events_source_run_id_source_key_key" ON "emitted_events"("source_run_id", "source_key");
