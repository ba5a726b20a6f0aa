// The expiry sweeper (shared/spec/expiry.md): runs inside every server and expires what is due on
// accounts nobody touches; an account that is used expires its own lots first. A sweep is a run of
// steps, each one call of the ledger's sweep (one short transaction that locks up to `limit` due
// lots' accounts in id order, skipping locked ones), repeated while a step finds work; then it
// waits for the interval. Any number of sweepers, in one process or in many instances on one
// database, and the API's own calls expire each lot once.
//
// On the embedded database a step holds its one connection, and with it every API call, for as
// long as it runs. So a step is sized by time, not by a fixed count: its limit follows how long
// the last one took, to stay near `stepMs`, and the sweeper lets waiting calls in between steps.
import type { Sql } from "../platform/db/client.js";
import { sweepExpired, type Swept } from "../ledger/expiry.js";

/** Where the sweeper says what it did: the app's logger. */
export interface SweeperLog {
  info(fields: object, line: string): void;
  error(fields: object, line: string): void;
}

export interface SweeperOptions {
  /** The wait between sweeps, after one has found nothing more to do. */
  intervalMs: number;
  /** The time the ledger brings accounts up to (tests pin it); the database's clock when absent. */
  clock?: () => Date;
  /** Called after a step that queued webhook events (to wake the delivery worker). */
  onQueued?: () => void;
  /** Called after every step that expired something (metrics). */
  onExpired?: (step: Swept) => void;
  log: SweeperLog;
  /** The time one step should take at most, about. */
  stepMs?: number;
  /** Due lots in the first step, before any has been timed. */
  firstLimit?: number;
  /** Due lots in one step at most, however fast steps run. */
  maxLimit?: number;
}

/** What one sweep did. */
export interface SweepSummary {
  steps: number;
  /** Accounts locked and brought up to the time. */
  accounts: number;
  /** `expire` rows written. */
  rows: number;
  /** The longest step, in ms. */
  longestStepMs: number;
  ms: number;
}

const DEFAULTS = { stepMs: 20, firstLimit: 50, maxLimit: 10_000 };

/** How much faster than the last step the next one may be sized: a step can take more lots than timed. */
const MAX_GROWTH = 2;

/** Lets the event loop run what is waiting (API calls, whose queries then go first) before the next step. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ExpirySweeper {
  private readonly opts: Required<Omit<SweeperOptions, "clock" | "onQueued" | "onExpired">> &
    Pick<SweeperOptions, "clock" | "onQueued" | "onExpired">;
  private limit: number;
  /** The limit the last timed step vouches for: the current one, or the one before the last growth. */
  private provenLimit: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly sweeps = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly db: Sql,
    options: SweeperOptions,
  ) {
    this.opts = { ...DEFAULTS, ...options };
    this.limit = this.provenLimit = this.opts.firstLimit;
  }

  /** Sweeps every interval from now on, the first one interval after the start. */
  start(): void {
    this.schedule();
  }

  /** Stops sweeping: a sweep in flight ends after its current step (committed or rolled back). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled(this.sweeps);
  }

  /** Runs steps until one finds nothing due (or the sweeper stops). */
  sweep(): Promise<SweepSummary> {
    const run = this.steps();
    this.sweeps.add(run);
    const forget = () => void this.sweeps.delete(run);
    run.then(forget, forget);
    return run;
  }

  /** One step: up to the current limit of due lots' accounts, expired in one transaction. */
  async step(): Promise<Swept> {
    const started = performance.now();
    const swept = await sweepExpired(this.db, { at: this.opts.clock?.(), limit: this.limit });
    this.resize(performance.now() - started, swept);
    if (swept.rows > 0) this.opts.onExpired?.(swept);
    if (swept.queued) this.opts.onQueued?.();
    return swept;
  }

  private async steps(): Promise<SweepSummary> {
    const started = performance.now();
    const summary: SweepSummary = { steps: 0, accounts: 0, rows: 0, longestStepMs: 0, ms: 0 };
    while (!this.stopped) {
      const stepStarted = performance.now();
      const swept = await this.step();
      summary.longestStepMs = Math.max(summary.longestStepMs, performance.now() - stepStarted);
      summary.steps++;
      summary.accounts += swept.accounts;
      summary.rows += swept.rows;
      if (swept.accounts === 0) break;
      await yieldToEventLoop();
    }
    summary.ms = performance.now() - started;
    return summary;
  }

  /**
   * The next step's limit, from how long this one took. A step that found no account only says
   * that the one before ran out of work, so the growth that step's speed earned is taken back: a
   * step that ran out early is fast for want of lots, and the next sweep may find plenty.
   */
  private resize(ms: number, swept: Swept): void {
    if (swept.accounts === 0) {
      this.limit = this.provenLimit;
      return;
    }
    const factor = Math.min(MAX_GROWTH, this.opts.stepMs / Math.max(ms, 0.1));
    const next = Math.max(1, Math.min(this.opts.maxLimit, Math.round(this.limit * factor)));
    this.provenLimit = next > this.limit ? this.limit : next;
    this.limit = next;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.opts.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    this.sweep()
      .then((s) => {
        if (s.rows > 0) {
          this.opts.log.info(
            { accounts: s.accounts, rows: s.rows, steps: s.steps, longestStepMs: Math.round(s.longestStepMs), ms: Math.round(s.ms) },
            `expiry sweep: ${s.rows} expire rows on ${s.accounts} accounts in ${Math.round(s.ms)} ms`,
          );
        }
      })
      // A step refused or cancelled at shutdown rolled back: nothing to say. Otherwise the next sweep tries again.
      .catch((err: unknown) => this.stopped || this.opts.log.error({ err }, "expiry sweeper: a sweep failed"))
      .finally(() => this.schedule());
  }
}
