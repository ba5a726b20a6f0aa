// Issued stamp cards on the ledger: a stamp's count is the balance of its own ledger_account
// (max_balance = the card's maxStamps), and every change of the count or of the used flag writes
// one ledger_entry. Each call is ONE statement after the caller's gate: it locks the stamp of the
// gate's store (then its account), decides from the locked, latest rows which rule refuses the
// change, if any, and otherwise writes the change and its rows. Every writer locks the stamp
// before the account, so concurrent calls on one stamp run one after the other and each sees the
// previous one's result: thirty simultaneous adds on a ten-stamp card give ten stamps and ten rows.
//
// The writes set values computed from those locked rows (`balance = v.new_balance`), never from
// the row as the UPDATE itself re-reads it: under concurrency, PostgreSQL evaluated an UPDATE's
// `a.balance + 1` against an older version of a row that the same statement had already locked
// FOR UPDATE, and the CHECK constraints refused the result (caught by test/stamp-api.test.ts,
// "simultaneous adds, removes, sets and a delete").
import { Prisma } from "../generated/prisma/client.js";
import type { Prisma as Db } from "../db/client.js";
import type { Gate, GateRow } from "./types.js";

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
}

/**
 * The stamp of the gate's store (`target`), with why it is not usable now, if it is not. With
 * `lock` the stamp row is locked in a query of its own (`stamp_row`), which returns its latest
 * version, re-checked against the conditions, rather than the one this statement's snapshot saw.
 */
function target(stampIdx: number, lock: boolean): Prisma.Sql {
  return Prisma.sql`
    stamp_row AS MATERIALIZED (
      SELECT s.id, s.account_id, s.card_id, s.active, s.used, s.used_at, s.valid_from, s.valid_until
        FROM stamp s
       WHERE s.id = ${stampIdx}::int AND s.deleted_at IS NULL
         AND EXISTS (SELECT 1 FROM card c JOIN gate ON gate.allowed AND c.store_id = gate.store_id WHERE c.id = s.card_id)
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

/** The stamp's account, locked after the stamp: FOR UPDATE returns its latest committed balance. */
const lockedAccount = Prisma.sql`
    account AS MATERIALIZED (
      SELECT a.id, a.balance, a.max_balance FROM ledger_account a
       WHERE a.id = (SELECT account_id FROM target)
       FOR UPDATE
    )`;

/** A validity period is `from..until` with `until` at most five years after the call's date. */
const badPeriod = (from: Prisma.Sql, until: Prisma.Sql) =>
  Prisma.sql`(${from} > ${until} OR ${until} > (gate.today + interval '5 years')::date)`;

/**
 * Runs `ctes` after the gate, the locked stamp (`target`) and its locked `account`; they define
 * `verdict`, one row when the stamp was found, with `found` and `refusal`.
 */
async function runOnStamp(db: Db, gate: Gate, stampIdx: number, ctes: Prisma.Sql): Promise<StampOutcome> {
  const [row] = await db.$queryRaw<{ gate: GateRow | null; refusal: StampRefusal | null }[]>`
    WITH ${gate},
    ${target(stampIdx, true)},
    ${lockedAccount},
    ${ctes}
    SELECT to_jsonb(gate) AS gate, CASE WHEN verdict.found IS NULL THEN 'not_found' ELSE verdict.refusal END AS refusal
      FROM (SELECT 1) one LEFT JOIN gate ON true LEFT JOIN verdict ON true`;
  return { gate: row!.gate, refusal: row!.refusal };
}

export type CountChange =
  | { action: "add" }
  | { action: "remove" }
  | { action: "redeem"; onsitePassword: string | null };

/**
 * add: one stamp on a usable stamp that is not full. remove: one stamp off, never below 0 (an
 * admin correction, so the stamp need not be usable). redeem: marks a usable, full stamp used,
 * once, after the card's on-site password when it has one.
 */
export async function changeStamp(db: Db, gate: Gate, stampIdx: number, change: CountChange): Promise<StampOutcome> {
  const delta = change.action === "add" ? 1 : change.action === "remove" ? -1 : 0;
  const kind = change.action === "add" ? "stamp_add" : change.action === "remove" ? "stamp_remove" : "stamp_use";
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

  return runOnStamp(
    db,
    gate,
    stampIdx,
    Prisma.sql`
    verdict AS (
      SELECT true AS found, target.id AS stamp_id, account.id AS account_id, account.balance + ${delta}::int AS new_balance, ${refusal} AS refusal
        FROM target JOIN account ON true
    ),
    changed AS (
      UPDATE ledger_account a SET balance = v.new_balance, updated_at = now()
        FROM verdict v WHERE a.id = v.account_id AND v.refusal IS NULL
      RETURNING a.id, a.balance
    ),
    flagged AS (
      UPDATE stamp s SET used = true, used_at = now(), updated_at = now()
        FROM verdict v WHERE s.id = v.stamp_id AND v.refusal IS NULL AND ${change.action === "redeem"}::boolean
    ),
    entry AS (
      INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
      SELECT changed.id, gate.store_id, ${kind}::"EntryKind", ${delta}::int, changed.balance FROM changed, gate
    )`,
  );
}

/** The stamp's own columns that create and update write. Null clears an optional one. */
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

const COLUMNS: Record<keyof StampFields, { column: string; type: "text" | "boolean" }> = {
  active: { column: "active", type: "boolean" },
  userId: { column: "user_id", type: "text" },
  userName: { column: "user_name", type: "text" },
  userPhone: { column: "user_phone", type: "text" },
  userEmail: { column: "user_email", type: "text" },
  userEtc1: { column: "user_etc1", type: "text" },
  userEtc2: { column: "user_etc2", type: "text" },
  memo: { column: "memo", type: "text" },
  domain: { column: "domain", type: "text" },
};

/** The given fields as columns and typed values, for an INSERT or an UPDATE. */
function given(fields: StampFields): { column: Prisma.Sql; value: Prisma.Sql }[] {
  return (Object.keys(COLUMNS) as (keyof StampFields)[])
    .filter((k) => fields[k] !== undefined)
    .map((k) => ({ column: Prisma.raw(COLUMNS[k].column), value: Prisma.sql`${fields[k]}::${Prisma.raw(COLUMNS[k].type)}` }));
}

export interface NewStamp extends StampFields {
  cardIdx: number;
  validFrom: string;
  validUntil: string;
  userId: string;
  pageCode: string;
}

/** Issues a card of the gate's store to a customer: a new account (balance 0) and its stamp. */
export async function openStamp(db: Db, gate: Gate, s: NewStamp): Promise<StampOutcome & { stampIdx: number | null }> {
  const fields = given(s);
  const [row] = await db.$queryRaw<{ gate: GateRow | null; refusal: StampRefusal | null; stamp_idx: number | null }[]>`
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
      INSERT INTO stamp (card_id, account_id, valid_from, valid_until, page_code, ${Prisma.join(fields.map((f) => f.column))})
      SELECT card.id, account.id, ${s.validFrom}::date, ${s.validUntil}::date, ${s.pageCode}::text, ${Prisma.join(fields.map((f) => f.value))}
        FROM card, account
      RETURNING id
    )
    SELECT to_jsonb(gate) AS gate, verdict.refusal, (SELECT id FROM created) AS stamp_idx
      FROM (SELECT 1) one LEFT JOIN gate ON true LEFT JOIN verdict ON true`;
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
export async function updateStamp(db: Db, gate: Gate, stampIdx: number, u: StampUpdate): Promise<StampOutcome> {
  const cardIdx = u.cardIdx ?? null;
  const stamps = u.stamps ?? null;
  const datesGiven = u.validFrom !== undefined || u.validUntil !== undefined;
  const sets = given(u).map((f) => Prisma.sql`${f.column} = ${f.value}`);
  if (u.resetPin) sets.push(Prisma.sql`pin_hash = NULL`);
  return runOnStamp(
    db,
    gate,
    stampIdx,
    Prisma.sql`
    new_card AS (SELECT c.id, c.max_stamps FROM card c JOIN gate ON c.store_id = gate.store_id WHERE c.id = ${cardIdx}::int),
    plan AS (
      SELECT target.id AS stamp_id, account.id AS account_id, target.used AS old_used, target.used_at AS old_used_at,
             account.balance AS old_balance,
             COALESCE(${stamps}::int, account.balance) AS new_balance,
             COALESCE((SELECT max_stamps FROM new_card), account.max_balance) AS new_max,
             COALESCE((SELECT id FROM new_card), target.card_id) AS new_card_id,
             COALESCE(${u.validFrom ?? null}::date, target.valid_from) AS new_from,
             COALESCE(${u.validUntil ?? null}::date, target.valid_until) AS new_until,
             COALESCE(${u.used ?? null}::boolean, target.used) AS new_used
        FROM target JOIN account ON true
    ),
    verdict AS (
      SELECT plan.*, true AS found, CASE
          WHEN ${cardIdx}::int IS NOT NULL AND NOT EXISTS (SELECT 1 FROM new_card) THEN 'card_not_found'
          WHEN ${datesGiven}::boolean AND ${badPeriod(Prisma.sql`new_from`, Prisma.sql`new_until`)} THEN 'invalid_period'
          WHEN new_balance > new_max THEN CASE WHEN ${stamps}::int IS NULL THEN 'above_new_maximum' ELSE 'above_maximum' END
        END AS refusal
        FROM plan, gate
    ),
    changed AS (
      UPDATE ledger_account a SET balance = v.new_balance, max_balance = v.new_max, updated_at = now()
        FROM verdict v WHERE a.id = v.account_id AND v.refusal IS NULL
      RETURNING a.id, a.balance
    ),
    edited AS (
      UPDATE stamp s
         SET card_id = v.new_card_id, valid_from = v.new_from, valid_until = v.new_until, used = v.new_used,
             used_at = CASE WHEN v.new_used = v.old_used THEN v.old_used_at WHEN v.new_used THEN now() END,
             ${Prisma.join([...sets, Prisma.sql`updated_at = now()`])}
        FROM verdict v WHERE s.id = v.stamp_id AND v.refusal IS NULL
    ),
    entry AS (
      INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
      SELECT changed.id, gate.store_id, e.kind::"EntryKind", e.delta, changed.balance
        FROM changed, gate, verdict v,
             LATERAL (VALUES (1, 'stamp_set', v.new_balance - v.old_balance),
                             (2, CASE WHEN v.new_used THEN 'stamp_use' ELSE 'stamp_unuse' END, 0)) e(n, kind, delta)
       WHERE (e.n = 1 AND v.new_balance <> v.old_balance) OR (e.n = 2 AND v.new_used <> v.old_used)
       ORDER BY e.n
    )`,
  );
}

/**
 * Deletes a stamp of the gate's store for good as far as the API can tell. Its row stays, marked
 * deleted and without the customer's data, so that its account and rows stay attributable.
 */
export async function deleteStamp(db: Db, gate: Gate, stampIdx: number): Promise<StampOutcome> {
  return runOnStamp(
    db,
    gate,
    stampIdx,
    Prisma.sql`
    verdict AS (SELECT true AS found, target.id AS stamp_id, NULL::text AS refusal FROM target),
    removed AS (
      UPDATE stamp s
         SET deleted_at = now(), updated_at = now(), pin_hash = NULL, memo = NULL, user_name = NULL,
             user_phone = NULL, user_email = NULL, user_etc1 = NULL, user_etc2 = NULL
        FROM verdict v WHERE s.id = v.stamp_id
    )`,
  );
}

/** A stamp as the stamp API shows it; dates already formatted in the time zone. */
export interface StampRecord {
  stampIdx: number;
  cardIdx: number;
  cardName: string;
  cardTitle: string;
  stamps: number;
  maxStamps: number;
  url: string | null;
  stampImageUrl: string | null;
  onsitePassword: string | null;
  domain: string | null;
  pageCode: string;
  /** `YYYY-MM-DD` */
  validFrom: string;
  validUntil: string;
  active: boolean;
  userId: string;
  userName: string | null;
  userPhone: string | null;
  userEmail: string | null;
  userEtc1: string | null;
  userEtc2: string | null;
  memo: string | null;
  /** `YYYY-MM-DD HH:mm:ss` in the time zone. */
  registeredAt: string;
}

/** A stamp of the gate's store, and why it is not usable now (inactive, not started, expired, used). */
export async function readStamp(
  db: Db,
  gate: Gate,
  stampIdx: number,
  timeZone: string,
): Promise<StampOutcome & { stamp: StampRecord | null }> {
  const [row] = await db.$queryRaw<{ gate: GateRow | null; refusal: StampRefusal | null; stamp: StampRecord | null }[]>`
    WITH ${gate},
    ${target(stampIdx, false)},
    verdict AS (SELECT true AS found, target.unusable AS refusal FROM target),
    record AS (
      SELECT s.id AS "stampIdx", c.id AS "cardIdx", c.name AS "cardName", c.title AS "cardTitle",
             a.balance AS stamps, a.max_balance AS "maxStamps", c.url, c.stamp_image_url AS "stampImageUrl",
             c.onsite_password AS "onsitePassword", s.domain, s.page_code AS "pageCode",
             to_char(s.valid_from, 'YYYY-MM-DD') AS "validFrom", to_char(s.valid_until, 'YYYY-MM-DD') AS "validUntil",
             s.active, s.user_id AS "userId", s.user_name AS "userName", s.user_phone AS "userPhone",
             s.user_email AS "userEmail", s.user_etc1 AS "userEtc1", s.user_etc2 AS "userEtc2", s.memo,
             to_char(s.created_at AT TIME ZONE ${timeZone}::text, 'YYYY-MM-DD HH24:MI:SS') AS "registeredAt"
        FROM target
        JOIN stamp s ON s.id = target.id
        JOIN card c ON c.id = s.card_id
        JOIN ledger_account a ON a.id = s.account_id
    )
    SELECT to_jsonb(gate) AS gate, CASE WHEN verdict.found IS NULL THEN 'not_found' ELSE verdict.refusal END AS refusal,
           (SELECT to_jsonb(record) FROM record) AS stamp
      FROM (SELECT 1) one LEFT JOIN gate ON true LEFT JOIN verdict ON true`;
  return { gate: row!.gate, refusal: row!.refusal, stamp: row!.stamp };
}
