-- The stamp page's throttle, hardened: the on-site password is shared by every stamp of a card,
-- so its wrong guesses are counted per card as well as per stamp (card_throttle); and each lock
-- lasts twice as long as the one before it until a right guess (lockouts).

-- AlterTable
ALTER TABLE "page_throttle" ADD COLUMN "lockouts" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "card_throttle" (
    "card_id" INTEGER NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "lockouts" INTEGER NOT NULL DEFAULT 0,
    "last_counted" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "card_throttle_pkey" PRIMARY KEY ("card_id"),
    CONSTRAINT "card_throttle_failures_check" CHECK ("failures" >= 0)
);

-- AddForeignKey
ALTER TABLE "card_throttle" ADD CONSTRAINT "card_throttle_card_id_fkey" FOREIGN KEY ("card_id") REFERENCES "card"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
