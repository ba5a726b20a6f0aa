// Input rules shared by every door (OPEN API, stamp API, admin API, command line), so that one
// value means one thing everywhere: numbers are decimal digits (never `0x1` or `1e3`) within the
// database's integer range, and no text carries a NUL character (PostgreSQL's text cannot hold
// one: it would be a 500 rather than the door's bad-input answer).
import { z } from "zod";

/** The largest PostgreSQL integer: balances, counts, member numbers and row ids. */
export const INT_MAX = 2147483647;

const DECIMAL = /^\s*\d+\s*$/;

/** A whole number from `min` to `max`, given as a JSON number or as decimal digits. */
export const wholeNumber = (min: number, max = INT_MAX) => {
  const range = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    (v) => (typeof v === "string" && DECIMAL.test(v) ? Number(v) : v),
    z.number({ error: range }).int(range).min(min, range).max(max, range),
  );
};

/** The id of a stored row (store, card, stamp, member, key, history row): 1 to 2^31-1. */
export const recordId = wholeNumber(1);

/** An IANA time zone name (e.g. Asia/Seoul) that Node knows: TIME_ZONE, a store's zone. */
export const timeZoneName = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "not a known IANA time zone (e.g. Asia/Seoul)");

/** Where in `value` the first text with a NUL character is (its path of keys), or null if none is. */
export function nulPath(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof value === "string") return value.includes("\0") ? path : null;
  // A file given as bytes (an import) is checked by what reads it.
  if (Buffer.isBuffer(value)) return null;
  if (value === null || typeof value !== "object") return null;
  for (const [key, v] of Object.entries(value)) {
    const found = nulPath(v, [...path, Array.isArray(value) ? Number(key) : key]);
    if (found) return found;
  }
  return null;
}

export const NUL_MESSAGE = "must not contain a NUL character";
