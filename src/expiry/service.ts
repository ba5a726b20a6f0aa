// Expiry for what reads balances outside the OPEN API (shared/spec/expiry.md): the operator's
// report of what will expire, and the balances of the console and the exports, whose accounts
// are brought up to the time of the read first, so that none of them shows an expired lot. The
// time is the ledger's: the clock the points service gets (tests pin it), else the database's.
import type { Sql } from "../platform/db/client.js";
import { NotFoundError } from "../platform/errors.js";
import { maskedPhone, type PhonePolicy } from "../platform/phone.js";
import { expireAccount, sweepExpired } from "../ledger/expiry.js";
import { dueAccounts, expiringInPool, nextExpiry } from "../ledger/expiring.js";
import type { ExpiringPart } from "../ledger/points.js";
import type { WebhookNudge } from "../webhooks/nudge.js";

export interface ExpiryConfig {
  /** The zone of a store without its own (TIME_ZONE): the reporting store's "today". */
  timeZone: string;
  phones: PhonePolicy;
  /** The time of the ledger's calls; the database's clock when absent. */
  clock?: () => Date;
}

/** A line of the report: a member's part of the pool's balances that lapses after its last day. */
export interface ExpiringMember {
  /** The last day on which it is still valid, YYYY-MM-DD (the crediting store's day). */
  date: string;
  member_no: number;
  /** In the national format of PHONE_REGION (the operator's, as in the exports). */
  phone: string;
  count: number;
}

/** Due lots' accounts one sweep step locks at most (one transaction). */
const SWEEP_BATCH = 1000;

export class ExpiryService {
  constructor(
    private readonly db: Sql,
    private readonly config: ExpiryConfig,
    /** Rung when expiring queued EXPIRE events. */
    private readonly webhooks: WebhookNudge,
  ) {}

  /**
   * `stampd report expiring`: what lapses in the store's pool within `days` days (see
   * expiringInPool for the window), one line per member and last day, the soonest first.
   */
  async report(storeId: number, days: number): Promise<ExpiringMember[]> {
    const lines = await expiringInPool(this.db, { storeId, defaultZone: this.config.timeZone, days, at: this.now() });
    if (lines === null) throw new NotFoundError(`store ${storeId} not found`);
    return lines.map((l) => ({ date: l.date, member_no: l.member_no, phone: maskedPhone(l.phone, this.config.phones), count: l.count }));
  }

  /**
   * Brings the accounts up to now: each with something due is locked and its due lots expire.
   * Answers the balances after of those that changed; the others' stand as read.
   */
  async settle(accountIds: number[]): Promise<Map<number, number>> {
    const at = this.now();
    const balances = new Map<number, number>();
    for (const id of await dueAccounts(this.db, accountIds, at)) {
      const after = await expireAccount(this.db, id, at);
      if (after.queued) this.webhooks.ring();
      balances.set(id, after.balance);
    }
    return balances;
  }

  /** Brings every account of the pool up to now, a batch of due lots' accounts at a time. */
  async settlePool(poolId: number): Promise<void> {
    for (;;) {
      const swept = await sweepExpired(this.db, { poolId, at: this.now(), limit: SWEEP_BATCH });
      if (swept.queued) this.webhooks.ring();
      // 0: none is due, or those left are locked by calls, which expire them themselves.
      if (swept.accounts === 0) return;
    }
  }

  /** What of the account lapses next, and after which day; null when nothing will. */
  nextExpiry(accountId: number): Promise<ExpiringPart | null> {
    return nextExpiry(this.db, accountId, this.now());
  }

  private now(): Date | undefined {
    return this.config.clock?.();
  }
}
