// What will expire (shared/spec/expiry.md, "Seeing what will expire"): reads of the open lots,
// per account and last day, as the OPEN API's `with_expiry` sums them. A lot whose end has passed
// but that nobody has expired yet (its account untouched, the sweeper not there yet) is expired,
// not expiring: it is left out here, and the balance shown beside these reads is brought up to
// the same time first (expiry.ts).
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { ExpiringPart } from "./points.js";

/** The time of a read: `at`, else the database's clock. */
const timeOf = (at: Date | undefined) => Prisma.sql`COALESCE(${at ?? null}::timestamptz, now())`;

/**
 * The open lots matching `where` (on `ledger_lot l`) that have not ended at `at`, summed per
 * account and last day.
 */
const expiringParts = (where: Prisma.Sql, at: Date | undefined) => Prisma.sql`
  SELECT l.account_id, l.expires_on, sum(l.remaining)::int AS count
    FROM ledger_lot l
   WHERE l.remaining > 0 AND l.expires_at > ${timeOf(at)} AND ${where}
   GROUP BY l.account_id, l.expires_on`;

/** A date column as `YYYY-MM-DD`. */
const dayText = (column: Prisma.Sql) => Prisma.sql`to_char(${column}, 'YYYY-MM-DD')`;

/**
 * The account's next expiry at `at`: what lapses after the soonest last day (YYYY-MM-DD, the
 * crediting store's day); null when nothing will.
 */
export async function nextExpiry(db: Sql, accountId: number, at?: Date): Promise<ExpiringPart | null> {
  const [next] = await db.query<ExpiringPart>(Prisma.sql`
    SELECT p.count, ${dayText(Prisma.sql`p.expires_on`)} AS date
      FROM (${expiringParts(Prisma.sql`l.account_id = ${accountId}`, at)}) p
     ORDER BY p.expires_on LIMIT 1`);
  return next ?? null;
}

/** One member's part of a pool's balances that lapses after its last day `date`. */
export interface ExpiringLine extends ExpiringPart {
  member_no: number;
  /** E.164. */
  phone: string;
}

export interface ExpiringWindow {
  /** The reporting store: its pool's members, and its calendar day as "today". */
  storeId: number;
  /** The zone of a store without its own (TIME_ZONE). */
  defaultZone: string;
  /** Days after today, in the reporting store's zone: the last day of the window, included. */
  days: number;
  /** The time of the read; the database's clock when absent. */
  at?: Date;
}

/**
 * The parts of the store's pool's balances that lapse within the window: lots whose last day
 * (`expires_on`, in their crediting store's zone) is at most today + `days` in the reporting
 * store's zone, and that have not ended at `at`; one line per member and last day, the soonest
 * first, then by member number. Null when there is no such store.
 */
export async function expiringInPool(db: Sql, w: ExpiringWindow): Promise<ExpiringLine[] | null> {
  const [store] = await db.query<{ pool_id: number; last_day: string }>(Prisma.sql`
    SELECT s.pool_id, ((${timeOf(w.at)} AT TIME ZONE store_time_zone(s.id, ${w.defaultZone}))::date + ${w.days}::int)::text AS last_day
      FROM store s WHERE s.id = ${w.storeId}`);
  if (!store) return null;
  const inWindow = Prisma.sql`l.expires_on <= ${store.last_day}::date
    AND l.account_id IN (SELECT a.id FROM ledger_account a WHERE a.pool_id = ${store.pool_id})`;
  return db.query<ExpiringLine>(Prisma.sql`
    SELECT m.id AS member_no, m.phone, p.count, ${dayText(Prisma.sql`p.expires_on`)} AS date
      FROM (${expiringParts(inWindow, w.at)}) p
      JOIN ledger_account a ON a.id = p.account_id
      JOIN member m ON m.id = a.member_id
     ORDER BY p.expires_on, m.id`);
}

/** Those of `accountIds` with a lot whose end has passed at `at` and that is not expired yet. */
export async function dueAccounts(db: Sql, accountIds: number[], at?: Date): Promise<number[]> {
  if (accountIds.length === 0) return [];
  const rows = await db.query<{ id: number }>(
    Prisma.sql`SELECT a.id FROM unnest(${accountIds}::int[]) AS a(id) WHERE ledger_due(a.id, ${timeOf(at)}) ORDER BY a.id`,
  );
  return rows.map((r) => r.id);
}
