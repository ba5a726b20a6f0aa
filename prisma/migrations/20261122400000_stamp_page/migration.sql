-- The customer's stamp page: throttled guesses of the PIN and of the on-site password per stamp,
-- and secrets that every server instance on this database shares (the page's cookie signing key).

-- CreateEnum
CREATE TYPE "PageSecret" AS ENUM ('pin', 'onsite_password');

-- CreateTable
CREATE TABLE "page_throttle" (
    "stamp_id" INTEGER NOT NULL,
    "secret" "PageSecret" NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "last_counted" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "page_throttle_pkey" PRIMARY KEY ("stamp_id","secret"),
    CONSTRAINT "page_throttle_failures_check" CHECK ("failures" >= 0)
);

-- CreateTable
CREATE TABLE "shared_secret" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shared_secret_pkey" PRIMARY KEY ("name")
);

-- AddForeignKey
ALTER TABLE "page_throttle" ADD CONSTRAINT "page_throttle_stamp_id_fkey" FOREIGN KEY ("stamp_id") REFERENCES "stamp"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
