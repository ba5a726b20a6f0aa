// Issued stamp cards on the ledger: a stamp's count is the balance of its own ledger_account
// (max_balance = the card's maxStamps), and every change of the count or of the used flag writes
// one ledger_entry and, for a store with a webhook, its STAMP event (the outbox,
// src/webhooks/events.ts). Each call is ONE statement after the caller's gate: it locks the stamp
// of the gate's store, then its account, decides from those locked rows which rule refuses the
// change, if any, and otherwise writes the change, its rows and its events. Every writer locks the
// stamp before the account, so concurrent calls on one stamp run one after the other and each
// sees the previous one's result: thirty simultaneous adds on a ten-stamp card give ten stamps
// and ten rows.
//
// The UPDATEs write every changeable column from the locked rows (FOR UPDATE returns their latest
// versions), never from the row as the UPDATE itself re-reads it: when another transaction had
// changed the row after this statement began, PostgreSQL 15 evaluated the UPDATE's expressions on
// the version before the one this statement had locked (seen as xmin one behind), so
// `balance = balance + 1` broke the CHECKs and unchanged columns could go back a version.
// test/stamp-api.test.ts ("concurrency") catches it.
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { EntryKind } from "../generated/prisma/enums.js";
import type { Gate, GateRow } from "./types.js";
import { ledgerWrites } from "../platform/metrics.js";
import { queueWebhookEvent } from "../webhooks/events.js";
import { stampPayloadSql, type StampPayloadV1, type StampView } from "../vivoldi/payload.js";

/** Why a stamp call changed nothing (the gate's own refusals aside). */
export type StampRefusal =
  | "not_found"
  | "inactive"
  | "not_started"
  | "expired"
  | "used"
  | "full"
  | "empty"
  | "password_missing"
  | "wrong_password"
  | "not_enough"
  | "card_not_found"
  | "invalid_period"
  | "above_maximum"
  | "above_new_maximum";

/** `refusal` null: done. Only meaningful when the gate allowed the call. */
export interface StampOutcome {
  gate: GateRow | null;
  refusal: StampRefusal | null;
  /** A webhook event was queued with the change. */
  queued?: boolean;
}

/** What every stamp statement needs besides its own parameters. */
export interface StampContext {
  gate: Gate;
  /** How the stamp object of webhook events (and validate) shows domains and dates. */
  view: StampView;
}

/** The stamp's columns that a change may write; the others never change. */
const CHANGEABLE = [
  "card_id",
  "valid_from",
  "valid_until",
  "active",
  "used",
  "used_at",
  "user_id",
  "user_name",
  "user_phone",
  "user_email",
  "user_etc1",
  "user_etc2",
  "memo",
  "domain",
  "pin_hash",
  "deleted_at",
] as const;
type StampColumn = (typeof CHANGEABLE)[number];

/**
 * The stamp of the gate's store (`target`), with why it is not usable now, if it is not. With
 * `lock` the stamp row is locked in a query of its own (`stamp_row`), which returns its latest
 * version, re-checked against the conditions, rather than the one this statement's snapshot saw.
 * That query reads no other table: PostgreSQL re-checks a row that changed while it waited
 * against the rows it had joined before, so a join on `card_id` would lose a stamp whose card had
 * just changed. The store's cards come in as an array computed once (an InitPlan) instead.
 */
function target(stampIdx: number, lock: boolean): Prisma.Sql {
  return Prisma.sql`
    stamp_row AS MATERIALIZED (
      SELECT s.* FROM stamp s
       WHERE s.id = ${stampIdx}::int AND s.deleted_at IS NULL
         AND s.card_id = ANY (ARRAY(SELECT c.id FROM card c JOIN gate ON gate.allowed AND c.store_id = gate.store_id))
       ${lock ? Prisma.sql`FOR UPDATE` : Prisma.empty}
    ),
    target AS MATERIALIZED (
      SELECT stamp_row.*, c.onsite_password,
             CASE WHEN NOT stamp_row.active THEN 'inactive'
                  WHEN gate.today < stamp_row.valid_from THEN 'not_started'
                  WHEN gate.today > stamp_row.valid_until THEN 'expired'
                  WHEN stamp_row.used THEN 'used' END AS unusable
        FROM stamp_row JOIN card c ON c.id = stamp_row.card_id CROSS JOIN gate
    )`;
}

/** The stamp's account, locked after the stamp: FOR UPDATE returns its latest committed version. */
const lockedAccount = Prisma.sql`
    account AS MATERIALIZED (
      SELECT a.id, a.balance, a.max_balance FROM ledger_account a
       WHERE a.id = (SELECT account_id FROM target)
       FOR UPDATE
    )`;

/** `stamp_written`: the stamp with `changes`, every other changeable column as locked. */
function writeStamp(changes: Partial<Record<StampColumn, Prisma.Sql>>): Prisma.Sql {
  const sets = CHANGEABLE.map((column) => Prisma.sql`${Prisma.raw(column)} = ${changes[column] ?? Prisma.raw(`target.${column}`)}`);
  return Prisma.sql`
    stamp_written AS (
      UPDATE stamp s SET ${Prisma.join(sets)}, updated_at = now()
        FROM target, verdict v WHERE s.id = target.id AND v.refusal IS NULL
      RETURNING s.*
    )`;
}

/** `account_written`: the account with the count and maximum computed from the locked rows. */
function writeAccount(balance: Prisma.Sql, maxBalance: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    account_written AS (
      UPDATE ledger_account a SET balance = ${balance}, max_balance = ${maxBalance}, updated_at = now()
        FROM account, verdict v WHERE a.id = account.id AND v.refusal IS NULL
      RETURNING a.id, a.balance, a.max_balance
    )`;
}

/** The webhook action of each kind of stamp row; a stamp_unuse row has none. */
const ACTIONS: { action: string; rows: Prisma.Sql }[] = [
  { action: "ADD", rows: Prisma.sql`kind = 'stamp_add' OR (kind = 'stamp_set' AND delta > 0)` },
  { action: "REMOVE", rows: Prisma.sql`kind = 'stamp_remove' OR (kind = 'stamp_set' AND delta < 0)` },
  { action: "USE", rows: Prisma.sql`kind = 'stamp_use'` },
];

/**
 * `entry`: one row per `rows` (kind, delta), for the written account, and the STAMP event of each
 * row that has an action, with the stamp as it is after the change.
 */
function writeEntries(rows: Prisma.Sql, view: StampView): Prisma.Sql {
  const payload = stampPayloadSql("s", "c", { stamps: Prisma.sql`a.balance`, maxStamps: Prisma.sql`a.max_balance` }, view);
  const events = ACTIONS.map(
    ({ action, rows: which }, i) => Prisma.sql`
    ${Prisma.raw(`event_${i}`)} AS (${queueWebhookEvent({
      resource: "STAMP",
      action,
      from: Prisma.sql`(SELECT * FROM entry WHERE ${which}) e
                        CROSS JOIN stamp_written s JOIN card c ON c.id = s.card_id CROSS JOIN account_written a`,
      storeId: Prisma.sql`(SELECT store_id FROM gate)`,
      change: Prisma.sql`e.delta`,
      occurredAt: Prisma.sql`e.created_at`,
      object: payload,
    })})`,
  );
  return Prisma.sql`
    entry AS (
      INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
      SELECT account_written.id, gate.store_id, r.kind::"EntryKind", r.delta, account_written.balance
        FROM account_written, gate, (${rows}) r
       ORDER BY r.n
      RETURNING id, kind, delta, created_at
    ),
    ${Prisma.join(events)}`;
}

/**
 * Runs `ctes` after the gate, the locked stamp (`target`) and its locked `account`. They define
 * `verdict` (one row when the stamp was found, with `found` and `refusal`) and may write `entry`.
 */
async function runOnStamp(db: Sql, ctx: StampContext, stampIdx: number, ctes: Prisma.Sql, writesEntries: boolean): Promise<StampOutcome> {
  const [row] = await db.query<{
    gate: GateRow | null;
    refusal: StampRefusal | null;
    kinds: EntryKind[] | null;
    queued: boolean;
  }>(Prisma.sql`
    WITH ${ctx.gate},
    ${target(stampIdx, true)},
    ${lockedAccount},
    ${ctes}
    SELECT to_jsonb(gate) AS gate, CASE WHEN verdict.found IS NULL THEN 'not_found' ELSE verdict.refusal END AS refusal,
           ${writesEntries ? Prisma.sql`(SELECT array_agg(kind::text) FROM entry)` : Prisma.sql`NULL::text[]`} AS kinds,
           ${
             writesEntries
               ? Prisma.sql`EXISTS (${Prisma.join(
                   ACTIONS.map((_, i) => Prisma.raw(`SELECT 1 FROM event_${i}`)),
                   " UNION ALL ",
                 )})`
               : Prisma.sql`false`
           } AS queued
      FROM (SELECT 1) one LEFT JOIN gate ON true LEFT JOIN verdict ON true`);
  for (const kind of row!.kinds ?? []) ledgerWrites.inc({ kind });
  return { gate: row!.gate, refusal: row!.refusal, queued: row!.queued };
}

export type CountChange = { action: "add" } | { action: "remove" } | { action: "redeem"; onsitePassword: string | null };

/**
 * add: one stamp on a usable stamp that is not full. remove: one stamp off, never below 0 (an
 * admin correction, so the stamp need not be usable). redeem: marks a usable, full stamp used,
 * once, after the card's on-site password when it has one.
 */
export async function changeStamp(db: Sql, ctx: StampContext, stampIdx: number, change: CountChange): Promise<StampOutcome> {
  const { delta, kind } = {
    add: { delta: 1, kind: "stamp_add" },
    remove: { delta: -1, kind: "stamp_remove" },
    redeem: { delta: 0, kind: "stamp_use" },
  }[change.action];
  const password = change.action === "redeem" ? change.onsitePassword : null;
  const refusal = {
    add: Prisma.sql`COALESCE(target.unusable, CASE WHEN account.balance >= account.max_balance THEN 'full' END)`,
    remove: Prisma.sql`CASE WHEN account.balance = 0 THEN 'empty' END`,
    // Hashes are compared, so the time taken tells nothing about how much of a guess was right.
    redeem: Prisma.sql`COALESCE(target.unusable, CASE
        WHEN target.onsite_password IS NOT NULL AND ${password}::text IS NULL THEN 'password_missing'
        WHEN target.onsite_password IS NOT NULL
         AND sha256(convert_to(target.onsite_password, 'UTF8')) <> sha256(convert_to(${password}::text, 'UTF8')) THEN 'wrong_password'
        WHEN account.balance < account.max_balance THEN 'not_enough' END)`,
  }[change.action];
  const redeemed = change.action === "redeem" ? { used: Prisma.sql`true`, used_at: Prisma.sql`now()` } : {};

  return runOnStamp(
    db,
    ctx,
    stampIdx,
    Prisma.sql`
    verdict AS (SELECT true AS found, ${refusal} AS refusal FROM target JOIN account ON true),
    ${writeAccount(Prisma.sql`account.balance + ${delta}::int`, Prisma.sql`account.max_balance`)},
    ${writeStamp(redeemed)},
    ${writeEntries(Prisma.sql`SELECT 1 AS n, ${kind}::text AS kind, ${delta}::int AS delta`, ctx.view)}`,
    true,
  );
}

/** The stamp's own fields that create and update write. Null clears an optional one. */
export interface StampFields {
  active?: boolean;
  userId?: string;
  userName?: string | null;
  userPhone?: string | null;
  userEmail?: string | null;
  userEtc1?: string | null;
  userEtc2?: string | null;
  memo?: string | null;
  /** Null: the server's own public URL. */
  domain?: string | null;
}

/**
 * Each field's column, type and value on a new stamp when not given (the column's default). The
 * statements take every field as a parameter with a flag saying whether it was given, so that
 * their text is the same whatever fields a call gives: PostgreSQL keeps a prepared statement per
 * text and connection, and a text per combination of fields let callers grow its memory at will.
 */
const FIELD_COLUMNS: Record<keyof StampFields, { column: StampColumn; type: "text" | "boolean"; fresh: Prisma.Sql }> = {
  active: { column: "active", type: "boolean", fresh: Prisma.sql`true` },
  userId: { column: "user_id", type: "text", fresh: Prisma.sql`NULL` },
  userName: { column: "user_name", type: "text", fresh: Prisma.sql`NULL` },
  userPhone: { column: "user_phone", type: "text", fresh: Prisma.sql`NULL` },
  userEmail: { column: "user_email", type: "text", fresh: Prisma.sql`NULL` },
  userEtc1: { column: "user_etc1", type: "text", fresh: Prisma.sql`NULL` },
  userEtc2: { column: "user_etc2", type: "text", fresh: Prisma.sql`NULL` },
  memo: { column: "memo", type: "text", fresh: Prisma.sql`NULL` },
  domain: { column: "domain", type: "text", fresh: Prisma.sql`NULL` },
};

/**
 * Every field's column and value: the given value, or `otherwise` (the column as it is, or as a
 * new stamp has it) when the field is not given.
 */
function fieldValues(fields: StampFields, otherwise: (f: { column: StampColumn; fresh: Prisma.Sql }) => Prisma.Sql) {
  return (Object.keys(FIELD_COLUMNS) as (keyof StampFields)[]).map((k) => {
    const f = FIELD_COLUMNS[k];
    const type = Prisma.raw(f.type);
    return {
      column: f.column,
      value: Prisma.sql`CASE WHEN ${fields[k] !== undefined}::boolean THEN ${fields[k] ?? null}::${type} ELSE ${otherwise(f)} END`,
    };
  });
}

export interface NewStamp extends StampFields {
  cardIdx: number;
  validFrom: string;
  validUntil: string;
  userId: string;
  pageCode: string;
}

/** A validity period is `from..until` with `until` at most five years after the call's date. */
const badPeriod = (from: Prisma.Sql, until: Prisma.Sql) =>
  Prisma.sql`(${from} > ${until} OR ${until} > (gate.today + interval '5 years')::date)`;

/** Issues a card of the gate's store to a customer: a new account (balance 0) and its stamp. */
export async function openStamp(db: Sql, gate: Gate, s: NewStamp): Promise<StampOutcome & { stampIdx: number | null }> {
  const fields = fieldValues(s, (f) => f.fresh);
  const [row] = await db.query<{ gate: GateRow | null; refusal: StampRefusal | null; stamp_idx: number | null }>(Prisma.sql`
    WITH ${gate},
    card AS (SELECT c.id, c.max_stamps FROM card c JOIN gate ON c.store_id = gate.store_id AND gate.allowed WHERE c.id = ${s.cardIdx}::int),
    verdict AS (
      SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM card) THEN 'card_not_found'
                  WHEN ${badPeriod(Prisma.sql`${s.validFrom}::date`, Prisma.sql`${s.validUntil}::date`)} THEN 'invalid_period' END AS refusal
        FROM gate WHERE gate.allowed
    ),
    account AS (
      INSERT INTO ledger_account (max_balance)
      SELECT card.max_stamps FROM card, verdict WHERE verdict.refusal IS NULL
      RETURNING id
    ),
    created AS (
      INSERT INTO stamp (card_id, account_id, valid_from, valid_until, page_code, ${Prisma.join(fields.map((f) => Prisma.raw(f.column)))})
      SELECT card.id, account.id, ${s.validFrom}::date, ${s.validUntil}::date, ${s.pageCode}::text, ${Prisma.join(fields.map((f) => f.value))}
        FROM card, account
      RETURNING id
    )
    SELECT to_jsonb(gate) AS gate, verdict.refusal, (SELECT id FROM created) AS stamp_idx
      FROM (SELECT 1) one LEFT JOIN gate ON true LEFT JOIN verdict ON true`);
  return { gate: row!.gate, refusal: row!.refusal, stampIdx: row!.stamp_idx };
}

export interface StampUpdate extends StampFields {
  cardIdx?: number;
  /** The absolute count. */
  stamps?: number;
  used?: boolean;
  resetPin?: boolean;
  validFrom?: string;
  validUntil?: string;
}

/**
 * Changes what is given of a stamp of the gate's store, whatever its state (an admin correction).
 * A new count writes one stamp_set row with the difference; a change of the used flag one
 * stamp_use or stamp_unuse row; a new card moves the account's maximum, refused while the count
 * would be above it.
 */
export async function updateStamp(db: Sql, ctx: StampContext, stampIdx: number, u: StampUpdate): Promise<StampOutcome> {
  const cardIdx = u.cardIdx ?? null;
  const stamps = u.stamps ?? null;
  const resetPin = u.resetPin ?? false;
  const datesGiven = u.validFrom !== undefined || u.validUntil !== undefined;
  const changes: Partial<Record<StampColumn, Prisma.Sql>> = {
    card_id: Prisma.sql`v.new_card_id`,
    valid_from: Prisma.sql`v.new_from`,
    valid_until: Prisma.sql`v.new_until`,
    used: Prisma.sql`v.new_used`,
    used_at: Prisma.sql`CASE WHEN v.new_used = target.used THEN target.used_at WHEN v.new_used THEN now() END`,
    ...Object.fromEntries(fieldValues(u, (f) => Prisma.raw(`target.${f.column}`)).map((f) => [f.column, f.value])),
    pin_hash: Prisma.sql`CASE WHEN ${resetPin}::boolean THEN NULL ELSE target.pin_hash END`,
  };
  return runOnStamp(
    db,
    ctx,
    stampIdx,
    Prisma.sql`
    new_card AS (SELECT c.id, c.max_stamps FROM card c JOIN gate ON c.store_id = gate.store_id WHERE c.id = ${cardIdx}::int),
    proposed AS (
      SELECT COALESCE(${stamps}::int, account.balance) AS new_balance,
             COALESCE((SELECT max_stamps FROM new_card), account.max_balance) AS new_max,
             COALESCE((SELECT id FROM new_card), target.card_id) AS new_card_id,
             COALESCE(${u.validFrom ?? null}::date, target.valid_from) AS new_from,
             COALESCE(${u.validUntil ?? null}::date, target.valid_until) AS new_until,
             COALESCE(${u.used ?? null}::boolean, target.used) AS new_used
        FROM target JOIN account ON true
    ),
    verdict AS (
      SELECT proposed.*, true AS found, CASE
          WHEN ${cardIdx}::int IS NOT NULL AND NOT EXISTS (SELECT 1 FROM new_card) THEN 'card_not_found'
          WHEN ${datesGiven}::boolean AND ${badPeriod(Prisma.sql`new_from`, Prisma.sql`new_until`)} THEN 'invalid_period'
          WHEN new_balance > new_max THEN CASE WHEN ${stamps}::int IS NULL THEN 'above_new_maximum' ELSE 'above_maximum' END
        END AS refusal
        FROM proposed, gate
    ),
    ${writeAccount(Prisma.sql`v.new_balance`, Prisma.sql`v.new_max`)},
    ${writeStamp(changes)},
    pin_unlocked AS (
      -- A new PIN starts with no wrong guesses: the lock of the old one must not keep the owner out.
      DELETE FROM page_throttle t USING verdict v, target
       WHERE ${resetPin}::boolean AND v.refusal IS NULL AND t.stamp_id = target.id AND t.secret = 'pin'
    ),
    ${writeEntries(
      Prisma.sql`
        SELECT n, kind, delta FROM verdict v, target, account,
               LATERAL (VALUES (1, 'stamp_set', v.new_balance - account.balance, v.new_balance <> account.balance),
                               (2, CASE WHEN v.new_used THEN 'stamp_use' ELSE 'stamp_unuse' END, 0, v.new_used <> target.used)) r(n, kind, delta, happened)
         WHERE r.happened`,
      ctx.view,
    )}`,
    true,
  );
}

/**
 * Deletes a stamp of the gate's store for good as far as the API can tell. Its row stays, marked
 * deleted and without the customer's data, so that its account and rows stay attributable.
 */
export async function deleteStamp(db: Sql, ctx: StampContext, stampIdx: number): Promise<StampOutcome> {
  const cleared = Object.fromEntries(
    (["pin_hash", "memo", "user_name", "user_phone", "user_email", "user_etc1", "user_etc2"] as const).map((c) => [c, Prisma.sql`NULL`]),
  );
  return runOnStamp(
    db,
    ctx,
    stampIdx,
    Prisma.sql`
    verdict AS (SELECT true AS found, NULL::text AS refusal FROM target),
    ${writeStamp({ ...cleared, deleted_at: Prisma.sql`now()` })}`,
    false,
  );
}

/** A stamp of the gate's store as validate shows it, and why it is not usable now, if it is not. */
export async function readStamp(db: Sql, ctx: StampContext, stampIdx: number): Promise<StampOutcome & { stamp: StampPayloadV1 | null }> {
  const payload = stampPayloadSql("target", "c", { stamps: Prisma.sql`a.balance`, maxStamps: Prisma.sql`a.max_balance` }, ctx.view);
  const [row] = await db.query<{ gate: GateRow | null; refusal: StampRefusal | null; stamp: StampPayloadV1 | null }>(Prisma.sql`
    WITH ${ctx.gate},
    ${target(stampIdx, false)},
    verdict AS (SELECT true AS found, target.unusable AS refusal FROM target),
    shown AS (
      SELECT ${payload} AS stamp
        FROM target JOIN card c ON c.id = target.card_id JOIN ledger_account a ON a.id = target.account_id
    )
    SELECT to_jsonb(gate) AS gate, CASE WHEN verdict.found IS NULL THEN 'not_found' ELSE verdict.refusal END AS refusal,
           (SELECT stamp FROM shown) AS stamp
      FROM (SELECT 1) one LEFT JOIN gate ON true LEFT JOIN verdict ON true`);
  return { gate: row!.gate, refusal: row!.refusal, stamp: row!.stamp };
}
