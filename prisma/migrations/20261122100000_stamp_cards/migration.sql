-- The Vivoldi-compatible stamp API: plans and rate limits of stores, API keys, stamp cards and
-- issued stamps, whose counts live in ledger_account like every other balance.

-- AlterEnum
-- New values cannot be used in the transaction that adds them: the CHECK below compares text.
ALTER TYPE "EntryKind" ADD VALUE 'stamp_add';
ALTER TYPE "EntryKind" ADD VALUE 'stamp_remove';
ALTER TYPE "EntryKind" ADD VALUE 'stamp_set';
ALTER TYPE "EntryKind" ADD VALUE 'stamp_use';
ALTER TYPE "EntryKind" ADD VALUE 'stamp_unuse';

-- CreateEnum
CREATE TYPE "Plan" AS ENUM ('free', 'personal', 'premium', 'business', 'business_plus', 'enterprise');

-- AlterTable
ALTER TABLE "store" ADD COLUMN "plan" "Plan" NOT NULL DEFAULT 'free',
ADD COLUMN "limit_per_minute" INTEGER,
ADD COLUMN "limit_per_hour" INTEGER,
ADD COLUMN "limit_per_day" INTEGER,
ADD CONSTRAINT "store_limits_check" CHECK ("limit_per_minute" >= 1 AND "limit_per_hour" >= 1 AND "limit_per_day" >= 1);

-- AlterTable
-- A change of a stamp's used flag is a row of its own with delta 0; every other change moves the balance.
ALTER TABLE "ledger_entry" DROP CONSTRAINT "ledger_entry_delta_check",
ADD CONSTRAINT "ledger_entry_delta_check" CHECK ("delta" <> 0 OR "kind"::text IN ('stamp_use', 'stamp_unuse'));

-- CreateTable
CREATE TABLE "api_key" (
    "id" SERIAL NOT NULL,
    "store_id" INTEGER NOT NULL,
    "key_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "label" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate_usage" (
    "store_id" INTEGER NOT NULL,
    "minute_start" TIMESTAMPTZ(3) NOT NULL,
    "minute_calls" INTEGER NOT NULL,
    "hour_start" TIMESTAMPTZ(3) NOT NULL,
    "hour_calls" INTEGER NOT NULL,
    "day_start" TIMESTAMPTZ(3) NOT NULL,
    "day_calls" INTEGER NOT NULL,
    "last_allowed" BOOLEAN NOT NULL,

    CONSTRAINT "rate_usage_pkey" PRIMARY KEY ("store_id")
);

-- CreateTable
CREATE TABLE "card" (
    "id" SERIAL NOT NULL,
    "store_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "max_stamps" INTEGER NOT NULL,
    "url" TEXT,
    "stamp_image_url" TEXT,
    "onsite_password" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "card_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "card_max_stamps_check" CHECK ("max_stamps" >= 1)
);

-- CreateTable
CREATE TABLE "stamp" (
    "id" SERIAL NOT NULL,
    "card_id" INTEGER NOT NULL,
    "account_id" INTEGER NOT NULL,
    "valid_from" DATE NOT NULL,
    "valid_until" DATE NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "used" BOOLEAN NOT NULL DEFAULT false,
    "used_at" TIMESTAMPTZ(3),
    "user_id" TEXT NOT NULL,
    "user_name" TEXT,
    "user_phone" TEXT,
    "user_email" TEXT,
    "user_etc1" TEXT,
    "user_etc2" TEXT,
    "memo" TEXT,
    "domain" TEXT,
    "pin_hash" TEXT,
    "page_code" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "stamp_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stamp_validity_check" CHECK ("valid_from" <= "valid_until")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "api_key"("key_hash");

-- CreateIndex
CREATE INDEX "api_key_store_id_idx" ON "api_key"("store_id");

-- CreateIndex
CREATE INDEX "card_store_id_idx" ON "card"("store_id");

-- CreateIndex
CREATE UNIQUE INDEX "stamp_account_id_key" ON "stamp"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "stamp_page_code_key" ON "stamp"("page_code");

-- CreateIndex
CREATE INDEX "stamp_card_id_idx" ON "stamp"("card_id");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rate_usage" ADD CONSTRAINT "rate_usage_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card" ADD CONSTRAINT "card_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stamp" ADD CONSTRAINT "stamp_card_id_fkey" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stamp" ADD CONSTRAINT "stamp_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "ledger_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
