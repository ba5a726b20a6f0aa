// A change of a member's balance in a pool (save, use), as one ledger statement (statement.ts):
// resolve or register the member, change the balance only if the result stays within
// 0..maximum, and write the ledger row (and, through statement.ts, its webhook event). Concurrent calls serialise on the rows they touch
// (member, then account, then the store's daily counter) and never lose an update; the CHECK constraints on
// ledger_account are the backstop.
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { EntryKind } from "../generated/prisma/enums.js";
import type { Idempotency, MemberChangeOutcome, MemberRef } from "./types.js";
import type { WriteGate } from "../stampang/gate.js";
import { findMember, foundOrRegistered, INT_MAX, runLedgerStatement, WRITE_ONE_ENTRY } from "./statement.js";

export interface MemberChange {
  gate: WriteGate;
  /** The store the caller names (its webhook gets the events). */
  storeId: number;
  member: MemberRef;
  /**
   * Register an unknown phone as a new member, and open the account of a phone new to the pool
   * (save does, as the original tablet flow did). Otherwise the member must be known to the pool.
   */
  register: boolean;
  /** Signed: > 0 credits, < 0 debits. */
  delta: number;
  kind: EntryKind;
  idempotency?: Idempotency;
}

export async function changeMemberBalance(db: Sql, c: MemberChange): Promise<MemberChangeOutcome> {
  if (!Number.isSafeInteger(c.delta) || c.delta === 0) throw new RangeError("delta must be a non-zero integer");
  return runLedgerStatement(db, {
    gate: c.gate,
    storeId: c.storeId,
    idempotency: c.idempotency,
    action: c.kind.toUpperCase(),
    work: Prisma.sql`
    ${findMember("holder", c.member, c.register && "phone" in c.member ? "anywhere" : "pool")},
    ${foundOrRegistered("holder", c.member, c.register ? "go" : null)},
    target AS (SELECT go.store_id, go.pool_id, holder.id AS member_id FROM go, holder),
    account AS (${c.delta > 0 ? credit(c.delta) : debit(c.delta)}),
    change AS (
      SELECT account.id AS account_id, target.store_id, ${c.kind}::"EntryKind" AS kind, ${c.delta}::int AS delta,
             account.balance AS balance_after, NULL::int AS reverses_id, target.member_id AS member_no
        FROM account, target
    ),
    ${WRITE_ONE_ENTRY}`,
    refusal: Prisma.sql`CASE WHEN NOT EXISTS (SELECT 1 FROM target) THEN 'member_not_found'
                             WHEN ${c.delta}::int < 0 THEN 'insufficient_balance'
                             ELSE 'above_maximum' END`,
  });
}

/** Adds to the member's account in the pool, opening it on first use. */
function credit(delta: number): Prisma.Sql {
  return Prisma.sql`
      INSERT INTO ledger_account AS a (pool_id, member_id, balance)
      SELECT pool_id, member_id, ${delta}::int FROM target
      ON CONFLICT (pool_id, member_id) DO UPDATE
         SET balance = a.balance + EXCLUDED.balance, updated_at = now()
       WHERE a.balance <= COALESCE(a.max_balance, ${INT_MAX}::int) - EXCLUDED.balance
      RETURNING a.id, a.balance`;
}

/** Takes from the member's account only if it holds enough. */
function debit(delta: number): Prisma.Sql {
  return Prisma.sql`
      UPDATE ledger_account a SET balance = a.balance + ${delta}::int, updated_at = now()
        FROM target
       WHERE a.pool_id = target.pool_id AND a.member_id = target.member_id
         AND a.balance + ${delta}::int >= 0
      RETURNING a.id, a.balance`;
}
