// A reversal (취소) of one save or use of a member in the gate's pool, as one ledger statement
// (statement.ts): one compensating row with the opposite delta that names the original
// (`reverses_id`), the balance change, and the original marked `reversed`.
//
// Two reversals of one row at the same moment: the statement locks the original row first.
// The second waits for the first and then reads the row as the first left it (`reversed`), which
// it could not learn from the rest of the database: a statement sees other rows as they were
// when it began. So it answers "already reversed" rather than, say, "balance too small" after
// the first undid a save. The unique index on `reverses_id` is the backstop.
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { Idempotency, LedgerOutcome, MemberRef } from "./types.js";
import type { WriteGate } from "../stampang/gate.js";
import { findMember, INT_MAX, runLedgerStatement, WRITE_ONE_ENTRY } from "./statement.js";

export interface Reversal {
  gate: WriteGate;
  /** The store the caller names (its webhook gets the events). */
  storeId: number;
  /** The member whose row it must be. */
  member: MemberRef;
  entryId: number;
  idempotency?: Idempotency;
}

export type ReversalOutcome = LedgerOutcome<
  "member_not_found" | "history_not_found" | "already_reversed" | "insufficient_balance" | "above_maximum"
>;

export async function reverseEntry(db: Sql, r: Reversal): Promise<ReversalOutcome> {
  return runLedgerStatement(db, {
    gate: r.gate,
    storeId: r.storeId,
    idempotency: r.idempotency,
    action: "REVERSAL",
    work: Prisma.sql`
    ${findMember("holder", r.member)},
    original AS MATERIALIZED (
      SELECT e.id, e.account_id, e.delta, e.reversed
        FROM go
        JOIN ledger_account a ON a.pool_id = go.pool_id
        JOIN holder_found h ON h.id = a.member_id
        JOIN ledger_entry e ON e.account_id = a.id
       WHERE e.id = ${r.entryId}::int AND e.kind IN ('save', 'use')
         FOR UPDATE OF e
    ),
    account AS (
      UPDATE ledger_account a SET balance = a.balance - o.delta, updated_at = now()
        FROM original o
       WHERE a.id = o.account_id AND NOT o.reversed
         AND a.balance::bigint - o.delta BETWEEN 0 AND COALESCE(a.max_balance, ${INT_MAX}::int)
      RETURNING a.id, a.member_id, a.balance
    ),
    marked AS (
      UPDATE ledger_entry e SET reversed = true FROM original o, account WHERE e.id = o.id
    ),
    change AS (
      SELECT account.id AS account_id, go.store_id, 'reversal'::"EntryKind" AS kind, -o.delta AS delta,
             account.balance AS balance_after, o.id AS reverses_id, account.member_id AS member_no
        FROM go, original o, account
    ),
    ${WRITE_ONE_ENTRY}`,
    refusal: Prisma.sql`CASE WHEN NOT EXISTS (SELECT 1 FROM holder_found) THEN 'member_not_found'
                             WHEN NOT EXISTS (SELECT 1 FROM original) THEN 'history_not_found'
                             WHEN (SELECT reversed FROM original) THEN 'already_reversed'
                             WHEN (SELECT delta FROM original) > 0 THEN 'insufficient_balance'
                             ELSE 'above_maximum' END`,
  });
}
