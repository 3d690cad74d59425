-- Triggers in, notifications out: schedules, webhooks and events kept in step with the deployed
-- version (automation_triggers), the webhook token, emitted events, notification channels and their
-- deliveries; idempotency keys get a time to live, and triggered runs say where they came from.
-- AlterTable
ALTER TABLE "automations" ADD COLUMN     "webhook_token_created_at" TIMESTAMPTZ(3),
ADD COLUMN     "webhook_token_hash" TEXT,
ADD COLUMN     "webhook_token_prefix" TEXT;

-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "idempotency_expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "trigger_context" JSONB;

-- CreateTable
CREATE TABLE "automation_triggers" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "automation_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "event_name" TEXT,
    "armed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_tick_at" TIMESTAMPTZ(3),
    "last_run_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "automation_triggers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "emitted_events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "payload" JSONB,
    "source_run_id" UUID,
    "source_automation_id" UUID,
    "chain" UUID[],
    "depth" INTEGER NOT NULL DEFAULT 0,
    "routed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "emitted_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_channels" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "secret_ciphertext" TEXT,
    "topics" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_channels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_deliveries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "subject_id" UUID NOT NULL,
    "run_id" UUID,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "message" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "notification_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "automation_triggers_workspace_id_kind_event_name_idx" ON "automation_triggers"("workspace_id", "kind", "event_name");

-- CreateIndex
CREATE INDEX "automation_triggers_kind_idx" ON "automation_triggers"("kind");

-- CreateIndex
CREATE UNIQUE INDEX "automation_triggers_automation_id_key_key" ON "automation_triggers"("automation_id", "key");

-- CreateIndex
CREATE INDEX "emitted_events_workspace_id_created_at_idx" ON "emitted_events"("workspace_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "emitted_events_routed_at_created_at_idx" ON "emitted_events"("routed_at", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "notification_channels_workspace_id_name_key" ON "notification_channels"("workspace_id", "name");

-- CreateIndex
CREATE INDEX "notification_deliveries_workspace_id_created_at_idx" ON "notification_deliveries"("workspace_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "notification_deliveries_status_updated_at_idx" ON "notification_deliveries"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "notification_deliveries_channel_id_topic_subject_id_key" ON "notification_deliveries"("channel_id", "topic", "subject_id");

-- CreateIndex
CREATE UNIQUE INDEX "automations_webhook_token_hash_key" ON "automations"("webhook_token_hash");

-- AddForeignKey
ALTER TABLE "automation_triggers" ADD CONSTRAINT "automation_triggers_automation_id_fkey" FOREIGN KEY ("automation_id") REFERENCES "automations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "notification_channels"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Keys recorded before keys expired keep the default time to live from their run's creation.
UPDATE "runs" SET "idempotency_expires_at" = "created_at" + interval '24 hours' WHERE "idempotency_key" IS NOT NULL;
