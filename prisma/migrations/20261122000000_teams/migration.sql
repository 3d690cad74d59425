-- Teams: a user belongs to any number of workspaces through memberships, each with a role; invitations
-- bring people in; API keys get a role and an optional expiry. Existing installs keep working: every
-- existing user becomes a member of the workspace they belonged to, with the role they had (always
-- `owner` so far), and every existing API key gets its creator's role.

-- CreateTable
CREATE TABLE "memberships" (
    "workspace_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_selected_at" TIMESTAMPTZ(3),

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("workspace_id","user_id")
);

-- CreateIndex
CREATE INDEX "memberships_user_id_idx" ON "memberships"("user_id");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Migrate data: each user's single workspace and role become their first membership.
INSERT INTO "memberships" ("workspace_id", "user_id", "role", "created_at", "last_selected_at")
SELECT "workspace_id", "id",
       CASE WHEN "role" IN ('owner', 'admin', 'editor', 'viewer') THEN "role" ELSE 'owner' END,
       "created_at", "created_at"
FROM "users";

-- AlterTable: a key's role starts as its creator's role in the key's workspace.
ALTER TABLE "api_keys" ADD COLUMN     "expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "role" TEXT NOT NULL DEFAULT 'owner';

UPDATE "api_keys" AS k SET "role" = m."role"
FROM "memberships" AS m
WHERE m."workspace_id" = k."workspace_id" AND m."user_id" = k."user_id";

ALTER TABLE "api_keys" ALTER COLUMN "role" DROP DEFAULT;

-- DropForeignKey
ALTER TABLE "users" DROP CONSTRAINT "users_workspace_id_fkey";

-- DropIndex
DROP INDEX "users_workspace_id_idx";

-- AlterTable
ALTER TABLE "users" DROP COLUMN "role",
DROP COLUMN "workspace_id";

-- CreateTable
CREATE TABLE "invitations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "invited_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "accepted_at" TIMESTAMPTZ(3),
    "accepted_by" UUID,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "invitations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "invitations_token_hash_key" ON "invitations"("token_hash");

-- CreateIndex
CREATE INDEX "invitations_workspace_id_created_at_idx" ON "invitations"("workspace_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_invited_by_fkey" FOREIGN KEY ("invited_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Audit reads: newest first with a keyset cursor, and by target.
DROP INDEX "audit_log_workspace_id_created_at_idx";

-- CreateIndex
CREATE INDEX "audit_log_workspace_id_created_at_id_idx" ON "audit_log"("workspace_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "audit_log_workspace_id_target_kind_target_id_idx" ON "audit_log"("workspace_id", "target_kind", "target_id");
