-- Schedules: what a schedule's last tick did (a run was created, or the tick was skipped because the
-- previous scheduled run still went, or because it came too late), so a skipped tick is visible.
-- AlterTable
ALTER TABLE "automation_triggers" ADD COLUMN     "last_tick_outcome" TEXT;
