-- Read paths that stay fast with a million runs (docs/operations.md, "Query cost at scale";
-- npm run bench:scale). Each index below is maintained on every run insert and status change, so only
-- what a measured query needs is here.

-- An automation's history by (created_at, id): the keyset cursor's bound becomes an index condition.
-- Replaces (automation_id, created_at), which every use of it still finds as a prefix: no added cost.
DROP INDEX "runs_automation_id_created_at_idx";
CREATE INDEX "runs_automation_id_created_at_id_idx" ON "runs"("automation_id", "created_at" DESC, "id" DESC);

-- A workspace's runs of one status, newest first (GET /runs?status=…): a rare status, or one absent
-- past a cursor (the page after the last queued run), otherwise walks the workspace's whole history.
-- Partial: succeeded runs (the bulk of any history) are left out. That dense status fills a page from
-- (workspace_id, created_at) at once, and a run settling as succeeded adds no entry here: the index
-- costs a run insert and its move to running (about 150 bytes of WAL each), not its last transition,
-- and holds the ~15 % of runs that did not succeed. Prisma's schema cannot express a partial index;
-- schema.prisma says so where the index would be.
CREATE INDEX "runs_workspace_id_status_created_at_id_idx" ON "runs"("workspace_id", "status", "created_at" DESC, "id" DESC) WHERE "status" <> 'succeeded';

-- Open inbox items by automation (the overview's automations needing attention, the automations list's
-- counts): without it each automation's count read every inbox item. Partial: resolved and expired items,
-- most of them in time, are not in it. Prisma's schema cannot express a partial index; schema.prisma
-- says so where the index would be.
CREATE INDEX "inbox_items_workspace_id_automation_id_open_idx" ON "inbox_items"("workspace_id", "automation_id") WHERE "status" = 'open';
