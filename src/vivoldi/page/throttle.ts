// Guesses of a secret on a stamp page (the customer's PIN, the card's on-site password) are
// limited: after PAGE_MAX_FAILURES wrong guesses in a row the page refuses guesses for
// PAGE_LOCK_MINUTES, and each further lock before a right guess lasts twice as long as the one
// before it (up to PAGE_LOCK_MAX_MINUTES), so that guessing never settles into a steady rate.
// The PIN is counted per stamp; the on-site password, which all stamps of a card share, per
// stamp and per card. Each count is one conditional upsert of a throttle row in SQL
// (page_count_guess, page_count_onsite_guess), which refuses the guess while the row is locked,
// so the limits are exact across server instances; these rules are its parameters.
import type { GuessRules } from "../../ledger/stamps.js";

export type { GuessCount } from "../../ledger/stamps.js";

export const PAGE_MAX_FAILURES = 5;
export const PAGE_LOCK_MINUTES = 15;
export const PAGE_LOCK_MAX_MINUTES = 24 * 60;

export const GUESS_RULES: GuessRules = {
  max_failures: PAGE_MAX_FAILURES,
  lock_minutes: PAGE_LOCK_MINUTES,
  lock_max_minutes: PAGE_LOCK_MAX_MINUTES,
};

/** Minutes (at least 1) until a locked page takes guesses again. */
export function minutesLeft(lockedUntil: Date, now = Date.now()): number {
  return Math.max(1, Math.ceil((lockedUntil.getTime() - now) / 60_000));
}
