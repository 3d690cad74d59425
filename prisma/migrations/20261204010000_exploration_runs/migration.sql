-- AlterTable
ALTER TABLE "automations" ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'standard';

-- CreateTable
CREATE TABLE "secret_requests" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "requested_by_key_id" UUID,
    "status" TEXT NOT NULL DEFAULT 'open',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "fulfilled_at" TIMESTAMPTZ(3),

    CONSTRAINT "secret_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "secret_requests_workspace_id_status_created_at_idx" ON "secret_requests"("workspace_id", "status", "created_at");

-- AddForeignKey
ALTER TABLE "secret_requests" ADD CONSTRAINT "secret_requests_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

