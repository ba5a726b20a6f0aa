// The export's reads: a pool's members and its members' ledger rows, in order of their key, in
// batches. On PostgreSQL one statement is read through a server-side cursor; on the embedded
// database (one connection, which a reader must not hold while the file is written) each batch is
// a query of its own that starts after the last key of the one before. Dates come out as text in
// the given time zone, `YYYY-MM-DD HH:mm:ss`.
import { Prisma } from "../generated/prisma/client.js";
import type { EntryKind } from "../generated/prisma/enums.js";
import type { Database } from "../platform/db/client.js";

export interface MemberRow {
  member_no: number;
  /** E.164. */
  phone: string;
  balance: number;
  joined: string;
  /** The time of the account's latest row; null when it has none. */
  last_activity: string | null;
}

export interface HistoryRow {
  id: number;
  date: string;
  member_no: number;
  phone: string;
  kind: EntryKind;
  delta: number;
  login_id: string;
  place: string;
  balance_after: number;
}

/** Calendar days in the store's time zone, both included; either may be open. */
export interface DayRange {
  from?: string;
  to?: string;
}

export interface ExportSource {
  /** The pool of the store and the zone of its dates (its own, else `defaultZone`), or null when there is no such store. */
  storeOf(storeId: number, defaultZone: string): Promise<{ poolId: number; timeZone: string } | null>;
  members(poolId: number, timeZone: string): AsyncIterable<MemberRow[]>;
  history(poolId: number, range: DayRange, timeZone: string): AsyncIterable<HistoryRow[]>;
}

/** Rows a batch holds: a round trip's worth, small enough that a batch costs little memory. */
export const EXPORT_BATCH_ROWS = 1000;

const localTime = (column: Prisma.Sql, timeZone: string) =>
  Prisma.sql`to_char(${column} AT TIME ZONE ${timeZone}, 'YYYY-MM-DD HH24:MI:SS')`;

export function exportSource(db: Database, batchSize = EXPORT_BATCH_ROWS): ExportSource {
  /** `select(after, limit)` gives the rows whose key is above `after`, by key, at most `limit` of them (all with null). */
  async function* batches<T>(select: (after: number, limit: number | null) => Prisma.Sql, key: (row: T) => number) {
    if (db.cursor) {
      yield* db.cursor<T>(select(0, null), batchSize);
      return;
    }
    for (let after = 0; ;) {
      const rows = await db.query<T>(select(after, batchSize));
      if (rows.length > 0) yield rows;
      if (rows.length < batchSize) return;
      after = key(rows.at(-1)!);
    }
  }
  const limit = (n: number | null) => (n === null ? Prisma.empty : Prisma.sql`LIMIT ${n}`);

  return {
    async storeOf(storeId, defaultZone) {
      const [store] = await db.query<{ poolId: number; timeZone: string }>(
        Prisma.sql`SELECT pool_id AS "poolId", COALESCE(time_zone, ${defaultZone}) AS "timeZone" FROM store WHERE id = ${storeId}`,
      );
      return store ?? null;
    },

    members: (poolId, timeZone) =>
      batches<MemberRow>(
        (after, n) => Prisma.sql`
          SELECT m.id AS member_no, m.phone, a.balance, ${localTime(Prisma.sql`m.created_at`, timeZone)} AS joined,
                 (SELECT ${localTime(Prisma.sql`e.created_at`, timeZone)} FROM ledger_entry e
                   WHERE e.account_id = a.id AND e.kind <> 'expire' ORDER BY e.id DESC LIMIT 1) AS last_activity
            FROM ledger_account a JOIN member m ON m.id = a.member_id
           WHERE a.pool_id = ${poolId} AND m.id > ${after}
           ORDER BY m.id ${limit(n)}`,
        (row) => row.member_no,
      ),

    history: (poolId, range, timeZone) =>
      batches<HistoryRow>(
        (after, n) => Prisma.sql`
          SELECT e.id, ${localTime(Prisma.sql`e.created_at`, timeZone)} AS date, m.id AS member_no, m.phone, e.kind, e.delta,
                 s.login_id, COALESCE(NULLIF(s.place, ''), s.name) AS place, e.balance_after
            FROM ledger_entry e
            JOIN ledger_account a ON a.id = e.account_id
            JOIN member m ON m.id = a.member_id
            JOIN store s ON s.id = e.store_id
           WHERE a.pool_id = ${poolId} AND e.id > ${after}
             AND (${range.from ?? null}::date IS NULL OR e.created_at >= (${range.from ?? null}::date)::timestamp AT TIME ZONE ${timeZone})
             AND (${range.to ?? null}::date IS NULL OR e.created_at < (${range.to ?? null}::date + 1)::timestamp AT TIME ZONE ${timeZone})
           ORDER BY e.id ${limit(n)}`,
        (row) => row.id,
      ),
  };
}
