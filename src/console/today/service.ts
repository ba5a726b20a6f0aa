// The console's start page in figures: what the user's store did today and on each of the last
// 30 days, by calendar day in the store's time zone, summed from the store's 15-minute slots
// (store_activity, kept by a trigger as ledger rows are written: see prisma/schema.prisma).
// Saves and uses are those that stand: a reversal takes its original out.
import { Prisma } from "../../generated/prisma/client.js";
import type { Sql } from "../../platform/db/client.js";

/** One calendar day of a store. */
export interface DayFigures {
  /** `YYYY-MM-DD` in the time zone. */
  day: string;
  saves: number;
  /** Stamps (points) the saves added. */
  saved: number;
  uses: number;
  /** Stamps (points) the uses took. */
  used: number;
  /** Customers whose account in the pool a row of this store opened (a save, or a transfer to them). */
  newMembers: number;
  /** Stamps added to the store's stamp cards. */
  cardStamps: number;
}

export interface Today extends DayFigures {
  /** The last CHART_DAYS days, oldest first, today last; days without rows are zeros. */
  days: DayFigures[];
}

export const CHART_DAYS = 30;

export class TodayService {
  constructor(
    private readonly db: Sql,
    /** The zone of a store without its own (TIME_ZONE). */
    private readonly defaultZone: string,
  ) {}

  /** The figures of `storeId` on the day of `now`, and of the CHART_DAYS days up to it. */
  async figures(storeId: number, now: Date): Promise<Today> {
    const tz = Prisma.sql`store_time_zone(${storeId}, ${this.defaultZone})`;
    const today = Prisma.sql`(${now.toISOString()}::timestamptz AT TIME ZONE ${tz})::date`;
    // The start of a day (today + days) as an instant: where its slots begin.
    const start = (days: number) => Prisma.sql`((${today} + ${days}::int)::timestamp AT TIME ZONE ${tz})`;
    // Sums of a day are at most 96 slots of int; "saved" and "used" may pass 2^31 (float8 holds them exactly).
    const days = await this.db.query<DayFigures>(Prisma.sql`
      SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
             COALESCE(f.saves, 0) AS saves, COALESCE(f.saved, 0) AS saved, COALESCE(f.uses, 0) AS uses,
             COALESCE(f.used, 0) AS used, COALESCE(f.new_members, 0) AS "newMembers", COALESCE(f.card_stamps, 0) AS "cardStamps"
        FROM generate_series(${today} - ${CHART_DAYS - 1}::int, ${today}, interval '1 day') d(day)
        LEFT JOIN (
          SELECT (a.slot AT TIME ZONE ${tz})::date AS day, sum(a.saves)::int AS saves, sum(a.saved)::float8 AS saved,
                 sum(a.uses)::int AS uses, sum(a.used)::float8 AS used, sum(a.new_members)::int AS new_members,
                 sum(a.card_stamps)::int AS card_stamps
            FROM store_activity a
           WHERE a.store_id = ${storeId} AND a.slot >= ${start(1 - CHART_DAYS)} AND a.slot < ${start(1)}
           GROUP BY 1
        ) f ON f.day = d.day
       ORDER BY d.day`);
    return { ...days.at(-1)!, days };
  }
}
