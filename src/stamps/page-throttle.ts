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
 * wrong one adds to it and locks the page when it reaches the maximum. A guess checked outside
 * SQL (the PIN's slow hash) is counted as wrong here, before it is checked, so that guesses sent
 * at once cannot all pass before the first failure is written; a right one then calls clear.
 */
export function countGuess(secret: PageSecret, from: Prisma.Sql, at: Date | undefined): Prisma.Sql {
  const now = Prisma.sql`COALESCE(${at ?? null}::timestamptz, now())`;
  const lockEnds = Prisma.sql`${now} + make_interval(mins => ${PAGE_LOCK_MINUTES}::int)`;
  /** The row's wrong guesses before this one; an ended lock starts a new series. */
  const before = Prisma.sql`CASE WHEN t.locked_until <= ${now} THEN 0 ELSE t.failures END`;
  return Prisma.sql`
    guessed AS (SELECT stamp_id, correct FROM (${from}) g),
    counted AS (
      INSERT INTO page_throttle AS t (stamp_id, secret, failures, locked_until)
      SELECT stamp_id, ${secret}::"PageSecret", CASE WHEN correct THEN 0 ELSE 1 END, NULL FROM guessed
      ON CONFLICT (stamp_id, secret) DO UPDATE SET
        failures = CASE WHEN EXCLUDED.failures = 0 THEN 0 ELSE ${before} + 1 END,
        locked_until = CASE WHEN EXCLUDED.failures = 1 AND ${before} + 1 >= ${PAGE_MAX_FAILURES}::int THEN ${lockEnds} END
      WHERE t.locked_until IS NULL OR t.locked_until <= ${now}
      RETURNING failures, locked_until
    ),
    guess AS (
      SELECT EXISTS (SELECT 1 FROM counted) AS counted,
             COALESCE((SELECT failures FROM counted), t.failures, 0) AS failures,
             CASE WHEN EXISTS (SELECT 1 FROM counted) THEN (SELECT locked_until FROM counted) ELSE t.locked_until END AS locked_until
        FROM guessed LEFT JOIN page_throttle t ON t.stamp_id = guessed.stamp_id AND t.secret = ${secret}::"PageSecret"
    )`;
}

/** Minutes (at least 1) until a locked page takes guesses again. */
export function minutesLeft(lockedUntil: string, now = Date.now()): number {
  return Math.max(1, Math.ceil((new Date(lockedUntil).getTime() - now) / 60_000));
}
