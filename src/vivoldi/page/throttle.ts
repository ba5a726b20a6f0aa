// Guesses of a secret on a stamp page (the customer's PIN, the card's on-site password) are
// limited: after PAGE_MAX_FAILURES wrong guesses in a row the page refuses guesses for
// PAGE_LOCK_MINUTES, and each further lock before a right guess lasts twice as long as the one
// before it (up to PAGE_LOCK_MAX_MINUTES), so that guessing never settles into a steady rate.
// The PIN is counted per stamp; the on-site password, which all stamps of a card share, per
// stamp and per card. Each count is ONE conditional upsert of a throttle row, which refuses the
// guess while the row is locked, so the limits are exact across server instances.
import { Prisma } from "../../generated/prisma/client.js";
import type { PageSecret } from "../../generated/prisma/enums.js";

export const PAGE_MAX_FAILURES = 5;
export const PAGE_LOCK_MINUTES = 15;
export const PAGE_LOCK_MAX_MINUTES = 24 * 60;

/** A guess as the throttle saw it. */
export interface GuessCount {
  /** False: refused unchecked, the page is locked until `locked_until`. */
  counted: boolean;
  /** Wrong guesses in a row after this one. */
  failures: number;
  /** Set when the page is locked (by this guess, or before it). */
  locked_until: string | null;
}

/** A throttle row: its table, its key columns, and their values from the guess (`g`). */
interface ThrottleRow {
  table: "page_throttle" | "card_throttle";
  key: Prisma.Sql;
  values: Prisma.Sql;
}

/**
 * CTE `<name>` (the columns of GuessCount) that counts one guess of `from` (a query with
 * `correct` and the columns `row.values` reads) in `row`. A correct guess clears the count and
 * the lockouts; a wrong one adds to the count and locks the row when it reaches the maximum,
 * for longer after each lock; while the row is locked the guess changes nothing but
 * `last_counted` (so the answer comes from the row's latest version, as the rate limits'
 * `last_allowed` does).
 */
function countIn(name: string, row: ThrottleRow, from: Prisma.Sql, at: Date | undefined): Prisma.Sql {
  const now = Prisma.sql`COALESCE(${at ?? null}::timestamptz, now())`;
  const locked = Prisma.sql`t.locked_until > ${now}`;
  /** The row's wrong guesses before this one; an ended lock starts a new series. */
  const before = Prisma.sql`CASE WHEN t.locked_until <= ${now} THEN 0 ELSE t.failures END`;
  const wrong = Prisma.sql`EXCLUDED.failures = 1`;
  const locks = Prisma.sql`${wrong} AND ${before} + 1 >= ${PAGE_MAX_FAILURES}::int`;
  const lockMinutes = Prisma.sql`LEAST(${PAGE_LOCK_MINUTES}::int * (2 ^ LEAST(t.lockouts, 16))::int, ${PAGE_LOCK_MAX_MINUTES}::int)`;
  return Prisma.sql`
    ${Prisma.raw(name)} AS (
      INSERT INTO ${Prisma.raw(row.table)} AS t (${row.key}, failures, locked_until, lockouts, last_counted)
      SELECT ${row.values}, CASE WHEN g.correct THEN 0 ELSE 1 END, NULL, 0, true FROM (${from}) g
      ON CONFLICT (${row.key}) DO UPDATE SET
        failures = CASE WHEN ${locked} THEN t.failures WHEN ${wrong} THEN ${before} + 1 ELSE 0 END,
        locked_until = CASE WHEN ${locked} THEN t.locked_until WHEN ${locks} THEN ${now} + make_interval(mins => ${lockMinutes}) END,
        lockouts = CASE WHEN ${locked} THEN t.lockouts WHEN ${locks} THEN t.lockouts + 1 WHEN ${wrong} THEN t.lockouts ELSE 0 END,
        last_counted = NOT COALESCE(${locked}, false)
      RETURNING last_counted AS counted, failures, locked_until
    )`;
}

const perStamp = (secret: PageSecret): ThrottleRow => ({
  table: "page_throttle",
  key: Prisma.sql`stamp_id, secret`,
  values: Prisma.sql`g.stamp_id, ${secret}::"PageSecret"`,
});

/**
 * CTE `guess` (the columns of GuessCount) that counts one guess of `secret` on the stamp of
 * `from` (a query with `stamp_id` and `correct`). A guess checked outside SQL (the PIN's slow
 * hash) is counted as wrong here, before it is checked, so that guesses sent at once cannot all
 * pass before the first failure is written; a right one is then cleared.
 */
export function countGuess(secret: PageSecret, from: Prisma.Sql, at: Date | undefined): Prisma.Sql {
  return countIn("guess", perStamp(secret), from, at);
}

/**
 * CTE `guess` (the columns of GuessCount) that counts one guess of the on-site password on the
 * stamp and on the card of `from` (a query with `stamp_id`, `card_id` and `correct`); it is
 * counted only when neither is locked. The card counts it only once the stamp has (so a guess the
 * stamp refused adds nothing to the card's count), and the answer is the tighter of the two.
 */
export function countOnsiteGuess(from: Prisma.Sql, at: Date | undefined): Prisma.Sql {
  const card: ThrottleRow = { table: "card_throttle", key: Prisma.sql`card_id`, values: Prisma.sql`g.card_id` };
  return Prisma.sql`
    ${countIn("stamp_guess", perStamp("onsite_password"), from, at)},
    ${countIn("card_guess", card, Prisma.sql`SELECT * FROM (${from}) f WHERE (SELECT counted FROM stamp_guess)`, at)},
    guess AS (
      SELECT s.counted AND COALESCE(c.counted, false) AS counted, GREATEST(s.failures, c.failures) AS failures,
             GREATEST(s.locked_until, c.locked_until) AS locked_until
        FROM stamp_guess s LEFT JOIN card_guess c ON true
    )`;
}

/** Minutes (at least 1) until a locked page takes guesses again. */
export function minutesLeft(lockedUntil: string, now = Date.now()): number {
  return Math.max(1, Math.ceil((new Date(lockedUntil).getTime() - now) / 60_000));
}
