// A transfer (양도) of `count` from one member to another in the gate's pool, as one ledger
// statement (statement.ts): both balances change and both rows are written, or nothing is.
//
// Deadlocks: the accounts of both members are locked first, in account id order, and only then
// changed; two opposite transfers between the same members therefore queue on the lower id
// instead of each holding one account and waiting for the other. A receiver without an account
// gets one created at the end; if a concurrent call created it after this statement began, the
// insert fails on the unique (pool, member) key and the statement runs again, and then locks it
// like any other account.
//
// The two rows name each other (`counterpart_id`): their ids are drawn from the sequence after
// the locks are held, so that per account, row ids keep the order in which balances changed.
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { Idempotency, LedgerOutcome, MemberRef } from "./types.js";
import type { WriteGate } from "../stampang/gate.js";
import { findMember, foundOrRegistered, INT_MAX, runLedgerStatement } from "./statement.js";

export interface Transfer {
  gate: WriteGate;
  /** The store the caller names (its webhook gets the events). */
  storeId: number;
  giver: MemberRef;
  /** An unknown phone is registered (only when the transfer is made). */
  receiver: MemberRef;
  count: number;
  idempotency?: Idempotency;
}

export type TransferOutcome = LedgerOutcome<"member_not_found" | "same_member" | "insufficient_balance" | "above_maximum">;

export async function transferBetweenMembers(db: Sql, t: Transfer): Promise<TransferOutcome> {
  if (!Number.isSafeInteger(t.count) || t.count < 1) throw new RangeError("count must be a positive integer");
  const newPhone = "phone" in t.receiver;
  const entryId = Prisma.sql`nextval(pg_get_serial_sequence('ledger_entry', 'id'))::int`;
  return runLedgerStatement(db, {
    gate: t.gate,
    storeId: t.storeId,
    idempotency: t.idempotency,
    action: "TRANSFER",
    races: ["ledger_account_pool_id_member_id_key"],
    work: Prisma.sql`
    ${findMember("giver", t.giver)},
    ${findMember("receiver", t.receiver, newPhone ? "anywhere" : "pool")},
    parties AS (
      SELECT go.store_id, go.pool_id, g.id AS giver_id, r.id AS receiver_id
        FROM go JOIN giver_found g ON true LEFT JOIN receiver_found r ON true
       WHERE g.id IS DISTINCT FROM r.id AND (r.id IS NOT NULL OR ${newPhone}::boolean)
    ),
    held AS MATERIALIZED (
      SELECT a.id, a.member_id, a.balance, a.max_balance
        FROM ledger_account a JOIN parties p ON a.pool_id = p.pool_id AND a.member_id IN (p.giver_id, p.receiver_id)
       ORDER BY a.id
         FOR UPDATE OF a
    ),
    decision AS (
      -- An aggregate reads all of "held", so every lock is taken before anything changes.
      SELECT p.store_id, p.pool_id, p.giver_id,
             max(h.id) FILTER (WHERE h.member_id = p.giver_id) AS giver_account,
             max(h.id) FILTER (WHERE h.member_id = p.receiver_id) AS receiver_account,
             max(h.balance) FILTER (WHERE h.member_id = p.giver_id) AS giver_balance,
             max(h.balance) FILTER (WHERE h.member_id = p.receiver_id) AS receiver_balance,
             COALESCE(max(h.balance) FILTER (WHERE h.member_id = p.giver_id), 0) >= ${t.count}::int AS enough,
             COALESCE(bool_and(h.balance <= COALESCE(h.max_balance, ${INT_MAX}::int) - ${t.count}::int)
                        FILTER (WHERE h.member_id = p.receiver_id), true) AS room
        FROM parties p LEFT JOIN held h ON true
       GROUP BY p.store_id, p.pool_id, p.giver_id
    ),
    proceed AS (SELECT * FROM decision WHERE enough AND room),
    ${foundOrRegistered("receiver", t.receiver, "proceed")},
    moved AS (
      -- The new balances are computed from the locked rows ("held"), not from the row version
      -- this UPDATE happens to evaluate: after a FOR UPDATE in the same statement, PostgreSQL
      -- was seen to evaluate SET expressions on the version before the one locked (see
      -- stamp-change.ts). One source row for both accounts: with a UNION of two, PostgreSQL's
      -- re-check of a row changed since this statement began (EvalPlanQual) dropped the second.
      UPDATE ledger_account a
         SET balance = CASE WHEN a.id = p.giver_account THEN p.giver_balance - ${t.count}::int
                            ELSE p.receiver_balance + ${t.count}::int END,
             updated_at = now()
        FROM proceed p
       WHERE a.id IN (p.giver_account, p.receiver_account)
      RETURNING a.id, a.member_id, a.balance
    ),
    opened AS (
      INSERT INTO ledger_account (pool_id, member_id, balance)
      SELECT proceed.pool_id, receiver.id, ${t.count}::int FROM proceed, receiver WHERE proceed.receiver_account IS NULL
      RETURNING id, member_id, balance
    ),
    ids AS (SELECT ${entryId} AS giver_entry, ${entryId} AS receiver_entry FROM proceed),
    sides AS (
      SELECT s.id AS account_id, s.member_id, s.balance, s.member_id = proceed.giver_id AS giving
        FROM proceed, (SELECT * FROM moved UNION ALL SELECT * FROM opened) s
    ),
    entries AS (
      INSERT INTO ledger_entry (id, account_id, store_id, kind, delta, balance_after, counterpart_id)
      SELECT CASE WHEN giving THEN ids.giver_entry ELSE ids.receiver_entry END,
             sides.account_id, proceed.store_id, 'transfer',
             CASE WHEN giving THEN -${t.count}::int ELSE ${t.count}::int END, sides.balance,
             CASE WHEN giving THEN ids.receiver_entry ELSE ids.giver_entry END
        FROM proceed, ids, sides
      RETURNING id, account_id, store_id, delta, balance_after, created_at, counterpart_id
    ),
    written AS (
      SELECT e.id AS entry_id, e.store_id, sides.member_id AS member_no, e.delta, e.balance_after, e.created_at, e.counterpart_id
        FROM entries e JOIN sides ON sides.account_id = e.account_id
    ),
    applied AS (
      SELECT g.entry_id, g.member_no, g.balance_after AS balance, r.member_no AS to_member_no, r.balance_after AS to_balance
        FROM written g JOIN written r ON r.entry_id = g.counterpart_id
       WHERE g.delta < 0
    )`,
    refusal: Prisma.sql`CASE WHEN NOT EXISTS (SELECT 1 FROM giver_found) THEN 'member_not_found'
                             WHEN NOT EXISTS (SELECT 1 FROM receiver_found) AND NOT ${newPhone}::boolean THEN 'member_not_found'
                             WHEN NOT EXISTS (SELECT 1 FROM parties) THEN 'same_member'
                             WHEN NOT (SELECT enough FROM decision) THEN 'insufficient_balance'
                             ELSE 'above_maximum' END`,
  });
}
