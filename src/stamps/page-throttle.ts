// Guesses of a secret on a stamp page (the customer's PIN, the card's on-site password) are
// limited per stamp: after PAGE_MAX_FAILURES wrong guesses in a row the page refuses guesses for
// PAGE_LOCK_MINUTES. Each guess is counted by ONE conditional upsert of the stamp's page_throttle
// row, which refuses it while the row is locked, so the limit is exact across server instances.
import { Prisma } from "../generated/prisma/client.js";
import type { PageSecret } from "../generated/prisma/enums.js";

export const PAGE_MAX_FAILURES = 5;
export const PAGE_LOCK_MINUTES = 15;

/** A guess as the throttle saw it. */
export interface GuessCount {
  /** False: refused unchecked, the page is locked until `locked_until`. */
  counted: boolean;
  /** Wrong guesses in a row after this one. */
  failures: number;
  /** Set when the page is locked (by this guess, or before it). */
  locked_until: string | null;
}

/**
 * CTEs ending in `guess` (the columns of GuessCount) that count one guess of `secret` on the
 * stamp of `from` (a query with `stamp_id` and `correct`). A correct guess clears the count; a
 * wrong one adds to it and locks the page when it reaches the maximum; while the page is locked
 * the guess changes nothing but `last_counted` (so the answer comes from the row's latest version,
 * as the rate limits' `last_allowed` does). A guess checked outside SQL (the PIN's slow hash) is
 * counted as wrong here, before it is checked, so that guesses sent at once cannot all pass before
 * the first failure is written; a right one is then cleared.
 */
export function countGuess(secret: PageSecret, from: Prisma.Sql, at: Date | undefined): Prisma.Sql {
  const now = Prisma.sql`COALESCE(${at ?? null}::timestamptz, now())`;
  const locked = Prisma.sql`t.locked_until > ${now}`;
  /** The row's wrong guesses before this one; an ended lock starts a new series. */
  const before = Prisma.sql`CASE WHEN t.locked_until <= ${now} THEN 0 ELSE t.failures END`;
  const wrong = Prisma.sql`EXCLUDED.failures = 1`;
  return Prisma.sql`
    guessed AS (SELECT stamp_id, correct FROM (${from}) g),
    guess AS (
      INSERT INTO page_throttle AS t (stamp_id, secret, failures, locked_until, last_counted)
      SELECT stamp_id, ${secret}::"PageSecret", CASE WHEN correct THEN 0 ELSE 1 END, NULL, true FROM guessed
      ON CONFLICT (stamp_id, secret) DO UPDATE SET
        failures = CASE WHEN ${locked} THEN t.failures WHEN ${wrong} THEN ${before} + 1 ELSE 0 END,
        locked_until = CASE WHEN ${locked} THEN t.locked_until
                            WHEN ${wrong} AND ${before} + 1 >= ${PAGE_MAX_FAILURES}::int THEN ${now} + make_interval(mins => ${PAGE_LOCK_MINUTES}::int) END,
        last_counted = NOT COALESCE(${locked}, false)
      RETURNING last_counted AS counted, failures, locked_until
    )`;
}

/** Minutes (at least 1) until a locked page takes guesses again. */
export function minutesLeft(lockedUntil: string, now = Date.now()): number {
  return Math.max(1, Math.ceil((new Date(lockedUntil).getTime() - now) / 60_000));
}
