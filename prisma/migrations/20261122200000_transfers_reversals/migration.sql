-- Transfers between members and reversals of a history row.
-- A transfer is two rows (giver and receiver) that name each other in "counterpart_id".
-- A reversal is one compensating row that names its original in "reverses_id"; the unique index
-- makes a second reversal of one row impossible, and the original's "reversed" flag is set in the
-- statement that writes the reversal, so a concurrent reversal waiting on the original's lock
-- sees it (see src/ledger/reversal.ts).

-- AlterTable
ALTER TABLE "ledger_entry" ADD COLUMN     "counterpart_id" INTEGER,
ADD COLUMN     "reverses_id" INTEGER,
ADD COLUMN     "reversed" BOOLEAN NOT NULL DEFAULT false;

-- Only transfer rows have a counterpart, and only reversal rows reverse something.
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_counterpart_check" CHECK (("kind" = 'transfer') = ("counterpart_id" IS NOT NULL));
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_reverses_check" CHECK (("kind" = 'reversal') = ("reverses_id" IS NOT NULL));

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_counterpart_id_key" ON "ledger_entry"("counterpart_id");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entry_reverses_id_key" ON "ledger_entry"("reverses_id");

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_counterpart_id_fkey" FOREIGN KEY ("counterpart_id") REFERENCES "ledger_entry"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_reverses_id_fkey" FOREIGN KEY ("reverses_id") REFERENCES "ledger_entry"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Ledger rows stay immutable, with one exception: "reversed" may go from false to true, once,
-- with every other column unchanged (compared as a whole row, so columns added later are covered).
CREATE OR REPLACE FUNCTION "ledger_entry_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NOT OLD."reversed" AND NEW."reversed"
     AND to_jsonb(NEW) - 'reversed' = to_jsonb(OLD) - 'reversed' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'ledger_entry rows are immutable (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;
