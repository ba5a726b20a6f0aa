// The one shape of every statement that changes members' balances (save, use, transfer,
// reversal): a single SQL statement that runs the caller's gate, looks up an earlier answer for a
// reused idempotency key, does the operation's work only when the gate allows it and the key is
// new, records the key with the row it wrote, counts the call against the store's daily limit
// last (src/stampang/gate.ts) and queues the webhook event of each row written (the outbox,
// src/webhooks/events.ts) when the store has a webhook. Each operation supplies only its work
// (CTEs) and why it changed nothing; everything else lives here once.
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { ChangeAnswer, GateRow, Idempotency, LedgerOutcome, MemberRef } from "./types.js";
import { DAILY_LIMIT_REACHED, type WriteGate } from "../stampang/gate.js";
import { hasSqlState, isUniqueViolation } from "./pg-errors.js";
import { queuePointEvent, refuseIfWebhook, WEBHOOK_REGISTERED } from "../webhooks/events.js";
import { ledgerWrites } from "../platform/metrics.js";

export { INT_MAX } from "../platform/input.js";

export interface LedgerStatement {
  gate: WriteGate;
  /** The store the caller names: the one whose webhook gets the events of the rows written. */
  storeId: number;
  idempotency?: Idempotency;
  /** The action of the webhook events of the rows written: the entries' kind in capitals. */
  action: string;
  /**
   * The operation's CTEs. They start from `go` (`store_id`, `pool_id`: one row when the work may
   * proceed) and end with `written` (`entry_id`, `store_id`, `member_no`, `delta`,
   * `balance_after`, `created_at`: one row per ledger row written) and `applied` (`entry_id`,
   * `member_no`, `balance`, `to_member_no`, `to_balance`: one row when the change was made).
   */
  work: Prisma.Sql;
  /** A text expression naming why nothing changed; evaluated when `go` has a row and `applied` none. */
  refusal: Prisma.Sql;
  /**
   * Unique constraints that a concurrent statement may win (a row this one meant to create
   * appeared after its snapshot was taken): the statement is rolled back and runs again, and
   * then sees that row.
   */
  races?: string[];
}

/** Snake-case answer columns, as `applied` and `prior` yield them. */
interface AnswerRow {
  entry_id: number;
  member_no: number;
  balance: number;
  to_member_no: number | null;
  to_balance: number | null;
}

interface Row {
  gate: GateRow | null;
  queued: boolean;
  prior: (AnswerRow & { fingerprint: string }) | null;
  applied: AnswerRow | null;
  refusal: string | null;
}

const ATTEMPTS = 3;

/**
 * Stores seen with a webhook, per database. A statement for any other store leaves the outbox
 * insert out (refuseIfWebhook) and, should the store have a webhook after all, fails and runs
 * again with it. A change applied without queuing an event shows that its store has none.
 */
const storesWithWebhook = new WeakMap<Sql, Set<number>>();

export async function runLedgerStatement<Refusal extends string>(db: Sql, s: LedgerStatement): Promise<LedgerOutcome<Refusal>> {
  const races = [...(s.races ?? []), ...(s.idempotency ? ["idempotency_key_pkey"] : [])];
  let webhooks = storesWithWebhook.get(db);
  if (!webhooks) storesWithWebhook.set(db, (webhooks = new Set()));
  let events = webhooks.has(s.storeId);
  for (let attempt = 1; ; attempt++) {
    try {
      const row = await run(db, s, events);
      if (events && row.applied && !row.queued) webhooks.delete(s.storeId);
      const out = outcome<Refusal>(row, s.idempotency);
      if (out.status === "applied") ledgerWrites.inc({ kind: s.action.toLowerCase() });
      return isRefusal(out) && s.idempotency ? await replayIfAnswered(db, out, s.idempotency) : out;
    } catch (err) {
      if (!events && hasSqlState(err, WEBHOOK_REGISTERED)) {
        webhooks.add(s.storeId);
        events = true;
        attempt--; // Not a race: this happens once at most.
        continue;
      }
      // The counter refused the call after the work was done (the limit was reached meanwhile):
      // the work was rolled back, and run again the gate sees the counter full and refuses it.
      if (attempt < ATTEMPTS && (hasSqlState(err, DAILY_LIMIT_REACHED) || races.some((c) => isUniqueViolation(err, c)))) continue;
      throw err;
    }
  }
}

async function run(db: Sql, s: LedgerStatement, events: boolean): Promise<Row> {
  const k = s.idempotency;
  // Without a key the statement leaves out the key's lookup and record: a smaller plan to run.
  const prior = k ? Prisma.sql`prior AS (${priorAnswer(Prisma.sql`(SELECT store_id FROM gate)`, k.key)}),` : Prisma.empty;
  const remembered = k
    ? Prisma.sql`remembered AS (
      INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id)
      SELECT go.store_id, ${k.key}::text, ${k.fingerprint}::text, applied.entry_id FROM go, applied
      RETURNING key
    ),`
    : Prisma.empty;
  // The work, and the key's record (which may wait for a concurrent call's record of the same
  // key), are done before the counter is counted: reading them makes the counter's update wait.
  const workDone = Prisma.sql`(SELECT count(*) FROM applied) ${k ? Prisma.sql`+ (SELECT count(*) FROM remembered)` : Prisma.empty} >= 0`;
  const rows = await db.query<Row>(Prisma.sql`
    WITH ${s.gate.gate},
    ${prior}
    go AS (SELECT store_id, pool_id FROM gate WHERE allowed ${k ? Prisma.sql`AND NOT EXISTS (SELECT 1 FROM prior)` : Prisma.empty}),
    ${s.work},
    ${remembered}
    ${s.gate.count(workDone)},
    event AS (${
      events
        ? queuePointEvent(s.action, {
            from: Prisma.sql`written`,
            storeId: Prisma.sql`written.store_id`,
            memberNo: Prisma.sql`written.member_no`,
            entryId: Prisma.sql`written.entry_id`,
            delta: Prisma.sql`written.delta`,
            balanceAfter: Prisma.sql`written.balance_after`,
            createdAt: Prisma.sql`written.created_at`,
          })
        : refuseIfWebhook({ from: Prisma.sql`written`, storeId: Prisma.sql`written.store_id` })
    })
    SELECT to_jsonb(gate) || jsonb_build_object('within_limit', EXISTS (SELECT 1 FROM usage)) AS gate,
           CASE WHEN go.store_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM usage) THEN daily_limit_reached() END AS limit_reached,
           ${k ? Prisma.sql`(SELECT to_jsonb(prior) FROM prior)` : Prisma.sql`NULL::jsonb`} AS prior,
           to_jsonb(applied) AS applied, EXISTS (SELECT 1 FROM event) AS queued,
           CASE WHEN go.store_id IS NOT NULL AND applied.entry_id IS NULL THEN (${s.refusal}) END AS refusal
      FROM (SELECT 1) one
      LEFT JOIN gate ON true LEFT JOIN go ON true LEFT JOIN applied ON true`);
  return rows[0]!;
}

/** The answer recorded for an idempotency key of a store, with the fingerprint it was given for. */
function priorAnswer(storeId: Prisma.Sql, key: string): Prisma.Sql {
  return Prisma.sql`
      SELECT k.fingerprint, e.id AS entry_id, a.member_id AS member_no, e.balance_after AS balance,
             ca.member_id AS to_member_no, c.balance_after AS to_balance
        FROM idempotency_key k
        JOIN ledger_entry e ON e.id = k.entry_id
        JOIN ledger_account a ON a.id = e.account_id
        LEFT JOIN ledger_entry c ON c.id = e.counterpart_id
        LEFT JOIN ledger_account ca ON ca.id = c.account_id
       WHERE k.store_id = ${storeId} AND k.key = ${key}::text`;
}

function outcome<Refusal extends string>(row: Row, idempotency: Idempotency | undefined): LedgerOutcome<Refusal> {
  const { gate, prior, applied } = row;
  if (prior) return replayed(gate, prior, idempotency!);
  if (!gate?.allowed) return { gate, status: "refused" };
  if (applied) return { gate, status: "applied", queued: row.queued, ...answer(applied) };
  return { gate, status: row.refusal as Refusal };
}

function answer(r: AnswerRow): ChangeAnswer {
  return {
    entryId: r.entry_id,
    memberNo: r.member_no,
    balance: r.balance,
    to: r.to_member_no === null ? null : { memberNo: r.to_member_no, balance: r.to_balance! },
  };
}

function replayed<Refusal extends string>(
  gate: GateRow | null,
  prior: AnswerRow & { fingerprint: string },
  idempotency: Idempotency,
): LedgerOutcome<Refusal> {
  return prior.fingerprint === idempotency.fingerprint ? { gate, status: "replayed", ...answer(prior) } : { gate, status: "key_reused" };
}

function isRefusal<R extends string>(out: LedgerOutcome<R>): boolean {
  return !["refused", "key_reused", "applied", "replayed"].includes(out.status);
}

/**
 * A statement reads the database as it was when it began. Calls on one member queue on its
 * account, so a retry sent while the first call with its key was still running waits for it
 * and then may be refused for what that call did (already reversed, balance now too small)
 * without having seen its key. A fresh look at the key tells a refusal from a replay.
 */
async function replayIfAnswered<R extends string>(db: Sql, out: LedgerOutcome<R>, idempotency: Idempotency): Promise<LedgerOutcome<R>> {
  const storeId = out.gate!.store_id;
  const [prior] = await db.query<AnswerRow & { fingerprint: string }>(priorAnswer(Prisma.sql`${storeId}::int`, idempotency.key));
  return prior ? replayed(out.gate, prior, idempotency) : out;
}

/**
 * CTEs `written` and `applied` of a change of one account: write the one ledger row described by
 * the CTE `change` (`account_id`, `store_id`, `kind`, `delta`, `balance_after`, `reverses_id`,
 * and `member_no` for the answer).
 */
export const WRITE_ONE_ENTRY = Prisma.sql`
    written AS (
      INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, reverses_id)
      SELECT account_id, store_id, kind, delta, balance_after, reverses_id FROM change
      RETURNING id AS entry_id, store_id, (SELECT member_no FROM change), delta, balance_after, created_at
    ),
    applied AS (
      SELECT entry_id, member_no, balance_after AS balance, NULL::int AS to_member_no, NULL::int AS to_balance
        FROM written
    )`;

/**
 * Where a member must be known to be found: `pool`, with an account in the pool of `go` (a pool
 * sees only its own members: shared/spec/migration.md, "Member privacy between pools"), or
 * `anywhere`, for a phone that the call registers in the pool when it is new there.
 */
export type KnownIn = "pool" | "anywhere";

/** CTE `<name>_found`: the member named by `ref`, when known where `known` says. */
export function findMember(name: string, ref: MemberRef, known: KnownIn = "pool"): Prisma.Sql {
  return Prisma.sql`${Prisma.raw(name)}_found AS (${memberKnown(ref, known === "pool" ? Prisma.sql`(SELECT pool_id FROM go)` : null)})`;
}

/** The member named by `ref` (column `id`), when it has an account in `poolId` (any member with null). */
export function memberKnown(ref: MemberRef, poolId: Prisma.Sql | null): Prisma.Sql {
  const match = "phone" in ref ? Prisma.sql`m.phone = ${ref.phone}::text` : Prisma.sql`m.id = ${ref.memberNo}::int`;
  const inPool =
    poolId === null
      ? Prisma.empty
      : Prisma.sql`AND EXISTS (SELECT 1 FROM ledger_account a WHERE a.pool_id = ${poolId} AND a.member_id = m.id)`;
  return Prisma.sql`SELECT m.id FROM member m WHERE ${match} ${inPool}`;
}

/**
 * CTE `<name>`: the member of `<name>_found` (see findMember) or, when the phone is unknown and
 * the CTE `registerWhen` has a row, the member registered now. A phone registered by a
 * concurrent call in the meantime is taken as found.
 */
export function foundOrRegistered(name: string, ref: MemberRef, registerWhen: string | null): Prisma.Sql {
  const id = Prisma.raw(name);
  if (registerWhen === null || !("phone" in ref)) return Prisma.sql`${id} AS (SELECT id FROM ${id}_found)`;
  return Prisma.sql`
    ${id}_registered AS (
      INSERT INTO member (phone)
      SELECT ${ref.phone}::text FROM ${Prisma.raw(registerWhen)} WHERE NOT EXISTS (SELECT 1 FROM ${id}_found)
      ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone
      RETURNING id
    ),
    ${id} AS (SELECT id FROM ${id}_found UNION ALL SELECT id FROM ${id}_registered)`;
}
