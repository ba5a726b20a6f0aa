// A change of a member's balance in a pool (save, use): one SQL statement that checks the gate,
// resolves or registers the member, replays an earlier answer for a reused idempotency key,
// changes the balance only if the result stays within 0..maximum, and writes the ledger row and
// the idempotency record and, for a store with a webhook, the event that reports it (the outbox,
// src/webhooks/events.ts). Every check and write happens inside that one statement, so concurrent
// calls serialise on the rows they touch (counter, then member, then account) and never lose an
// update; the CHECK constraints on ledger_account are the backstop.
import { Prisma } from "../generated/prisma/client.js";
import type { Prisma as Db } from "../db/client.js";
import type { EntryKind } from "../generated/prisma/enums.js";
import type { Gate, GateRow, Idempotency, MemberChangeOutcome, MemberRef } from "./types.js";
import { isUniqueViolation } from "./pg-errors.js";
import { queuePointEvent } from "../webhooks/events.js";
import { ledgerWrites } from "../metrics.js";

export interface MemberChange {
  gate: Gate;
  member: MemberRef;
  /** Register an unknown phone as a new member (save does, as the original tablet flow did). */
  register: boolean;
  /** Signed: > 0 credits, < 0 debits. */
  delta: number;
  kind: EntryKind;
  idempotency?: Idempotency;
}

interface Row {
  gate: GateRow | null;
  member_no: number | null;
  entry_id: number | null;
  balance_after: number | null;
  prior_fingerprint: string | null;
  prior_member_no: number | null;
  prior_balance_after: number | null;
  prior_entry_id: number | null;
}

const INT_MAX = 2147483647;

export async function changeMemberBalance(db: Db, change: MemberChange): Promise<MemberChangeOutcome> {
  if (!Number.isSafeInteger(change.delta) || change.delta === 0) throw new RangeError("delta must be a non-zero integer");
  try {
    return await run(db, change);
  } catch (err) {
    // A concurrent call with the same idempotency key committed first: run again to replay it.
    if (change.idempotency && isUniqueViolation(err, "idempotency_key_pkey")) return run(db, change);
    throw err;
  }
}

async function run(db: Db, c: MemberChange): Promise<MemberChangeOutcome> {
  const key = c.idempotency?.key ?? null;
  const fingerprint = c.idempotency?.fingerprint ?? null;
  const phone = "phone" in c.member ? c.member.phone : null;
  const memberNo = "memberNo" in c.member ? c.member.memberNo : null;

  const rows = await db.$queryRaw<Row[]>`
    WITH ${c.gate},
    prior AS (
      SELECT k.fingerprint, e.id AS entry_id, e.balance_after, a.member_id
        FROM idempotency_key k
        JOIN ledger_entry e ON e.id = k.entry_id
        JOIN ledger_account a ON a.id = e.account_id
       WHERE k.store_id = (SELECT store_id FROM gate) AND k.key = ${key}::text
    ),
    go AS (SELECT store_id, pool_id FROM gate WHERE allowed AND NOT EXISTS (SELECT 1 FROM prior)),
    found AS (
      SELECT id FROM member WHERE phone = ${phone}::text OR id = ${memberNo}::int
    ),
    registered AS (
      INSERT INTO member (phone)
      SELECT ${phone}::text FROM go
       WHERE ${c.register}::boolean AND ${phone}::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM found)
      ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone
      RETURNING id
    ),
    target AS (
      SELECT go.store_id, go.pool_id, m.id AS member_id
        FROM go, (SELECT id FROM found UNION ALL SELECT id FROM registered) m
    ),
    account AS (${c.delta > 0 ? credit(c.delta) : debit(c.delta)}),
    entry AS (
      INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
      SELECT account.id, target.store_id, ${c.kind}::"EntryKind", ${c.delta}::int, account.balance
        FROM account, target
      RETURNING id, delta, balance_after, created_at
    ),
    remembered AS (
      INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id)
      SELECT target.store_id, ${key}::text, ${fingerprint}::text, entry.id
        FROM target, entry WHERE ${key}::text IS NOT NULL
    ),
    event AS (${queuePointEvent(c.kind.toUpperCase(), {
      from: Prisma.sql`target, entry`,
      storeId: Prisma.sql`target.store_id`,
      memberNo: Prisma.sql`target.member_id`,
      entryId: Prisma.sql`entry.id`,
      delta: Prisma.sql`entry.delta`,
      balanceAfter: Prisma.sql`entry.balance_after`,
      createdAt: Prisma.sql`entry.created_at`,
    })})
    SELECT to_jsonb(gate) AS gate,
           (SELECT member_id FROM target) AS member_no,
           entry.id AS entry_id, entry.balance_after,
           prior.fingerprint AS prior_fingerprint, prior.member_id AS prior_member_no,
           prior.balance_after AS prior_balance_after, prior.entry_id AS prior_entry_id
      FROM (SELECT 1) one
      LEFT JOIN gate ON true LEFT JOIN entry ON true LEFT JOIN prior ON true`;
  return outcome(rows[0]!, c);
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

/** Takes from the member's account only if it holds enough; no account means a balance of 0. */
function debit(delta: number): Prisma.Sql {
  return Prisma.sql`
      UPDATE ledger_account a SET balance = a.balance + ${delta}::int, updated_at = now()
        FROM target
       WHERE a.pool_id = target.pool_id AND a.member_id = target.member_id
         AND a.balance + ${delta}::int >= 0
      RETURNING a.id, a.balance`;
}

function outcome(row: Row, c: MemberChange): MemberChangeOutcome {
  const gate = row.gate;
  if (row.prior_fingerprint !== null) {
    return row.prior_fingerprint === c.idempotency?.fingerprint
      ? {
          gate,
          status: "replayed",
          memberNo: row.prior_member_no!,
          balance: row.prior_balance_after!,
          entryId: row.prior_entry_id!,
        }
      : { gate, status: "key_reused" };
  }
  if (!gate?.allowed) return { gate, status: "refused" };
  if (row.member_no === null) return { gate, status: "member_not_found" };
  if (row.entry_id === null) {
    return { gate, status: c.delta < 0 ? "insufficient_balance" : "above_maximum" };
  }
  ledgerWrites.inc({ kind: c.kind });
  return { gate, status: "applied", memberNo: row.member_no, balance: row.balance_after!, entryId: row.entry_id };
}
