// Expiry (shared/spec/expiry.md): every operation on an account expires what is due itself, in
// its own ledger function; these bring accounts nobody touches up to a time. Both run the
// migration's ledger_expire under the accounts' locks, so a lot expires once however many callers
// (sweepers of several instances, a console page, an export) race for it.
import { z } from "zod";
import type { Sql } from "../platform/db/client.js";
import { callLedger } from "./call.js";

const sweptRow = z.object({
  /** Accounts locked and brought up to the time; 0: none was due or free (locked ones are skipped). */
  accounts: z.number().int(),
  /** `expire` rows written. */
  rows: z.number().int(),
  /** Webhook events were queued (EXPIRE). */
  queued: z.boolean().nullable(),
});
export type Swept = z.infer<typeof sweptRow>;

export interface Sweep {
  /** Only this pool's accounts; all when absent. */
  poolId?: number;
  /** The time to bring them up to; the database's clock when absent. */
  at?: Date;
  /** At most this many due lots' accounts in one call (one transaction). */
  limit: number;
}

/** One step of a sweep: up to `limit` due lots' accounts, locked in id order, skipping locked ones. */
export function sweepExpired(db: Sql, s: Sweep): Promise<Swept> {
  return callLedger(db, "ledger_expire_sweep", [s.poolId ?? null, s.at ?? null, s.limit], sweptRow);
}

const accountRow = z.object({ balance: z.number().int(), expiring: z.number().int(), queued: z.boolean().nullable() });

/** One account brought up to `at` (the database's clock when absent): its balance after. */
export function expireAccount(db: Sql, accountId: number, at?: Date): Promise<z.infer<typeof accountRow>> {
  return callLedger(db, "ledger_expire_account", [accountId, at ?? null], accountRow);
}
