// Which rate window a caller is told about: after a counted call the one with the fewest calls
// left, after a refused call the refusing one that ends last (the earliest moment a call can pass).
import type { WindowUsage } from "../ledger/stamps.js";

export interface RateReport {
  limit: number;
  remaining: number;
  /** When the reported window ends, in whole seconds since the epoch. */
  resetsAt: number;
  /** Seconds until a call can pass again; only on a refusal. */
  retryAfter?: number;
}

export function rateReport(windows: WindowUsage[], allowed: boolean, now: number): RateReport {
  const left = (w: WindowUsage) => Math.max(0, w.limit - w.calls);
  const chosen = allowed
    ? windows.reduce((a, b) => (left(b) < left(a) || (left(b) === left(a) && b.resets_at < a.resets_at) ? b : a))
    : windows.filter((w) => left(w) === 0).reduce((a, b) => (b.resets_at > a.resets_at ? b : a));
  const resetsAt = Math.ceil(chosen.resets_at);
  return {
    limit: chosen.limit,
    remaining: left(chosen),
    resetsAt,
    ...(allowed ? {} : { retryAfter: Math.max(1, Math.ceil(chosen.resets_at - now)) }),
  };
}
