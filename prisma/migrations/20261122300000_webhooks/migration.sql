-- Webhooks: a store's registration, the transactional outbox of events and their attempts.

-- CreateEnum
CREATE TYPE "WebhookResource" AS ENUM ('POINT', 'STAMP');

-- CreateEnum
CREATE TYPE "WebhookEventStatus" AS ENUM ('pending', 'delivered', 'failed');

-- CreateTable
CREATE TABLE "store_webhook" (
    "store_id" INTEGER NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "store_webhook_pkey" PRIMARY KEY ("store_id")
);

-- CreateTable
CREATE TABLE "webhook_event" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "store_id" INTEGER NOT NULL,
    "resource_type" "WebhookResource" NOT NULL,
    "action" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" "WebhookEventStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_id" UUID,
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_event_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_event_action_check" CHECK ("action" ~ '^[A-Z_]{1,32}$'),
    CONSTRAINT "webhook_event_last_error_check" CHECK (char_length("last_error") <= 512)
);

-- CreateTable
CREATE TABLE "webhook_attempt" (
    "id" SERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "request_id" UUID NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "response_excerpt" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_attempt_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_attempt_error_check" CHECK (char_length("error") <= 512),
    CONSTRAINT "webhook_attempt_response_excerpt_check" CHECK (char_length("response_excerpt") <= 512)
);

-- CreateIndex
CREATE INDEX "webhook_event_status_next_attempt_at_idx" ON "webhook_event"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "webhook_event_store_id_created_at_idx" ON "webhook_event"("store_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "webhook_attempt_event_id_id_idx" ON "webhook_attempt"("event_id", "id");

-- AddForeignKey
ALTER TABLE "store_webhook" ADD CONSTRAINT "store_webhook_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_event" ADD CONSTRAINT "webhook_event_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempt" ADD CONSTRAINT "webhook_attempt_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "webhook_event"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
