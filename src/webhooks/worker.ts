// The delivery worker: runs inside every server and sends the outbox's due events. An attempt is
// claimed by one statement that takes due rows with FOR UPDATE SKIP LOCKED and leases them (a new
// request id, and next_attempt_at moved to the lease's end), so that any number of workers, in
// one process or in many instances on one database, make each attempt once; the HTTP call runs
// outside any transaction. If the worker dies mid-attempt the lease runs out and the event is due
// again. Its outcome is recorded only while the lease is still its own.
import http from "node:http";
import https from "node:https";
import type { BaseLogger } from "pino";
import type { Prisma as Db } from "../platform/db/client.js";
import { postEvent, type AttemptResult } from "./deliver.js";

export type DeliveryOutcome = "delivered" | "retrying" | "failed";

export interface DeliveryReport {
  outcome: DeliveryOutcome;
  eventId: string;
  storeId: number;
  /** 1 for the event's first attempt. */
  attempt: number;
  statusCode: number | null;
  durationMs: number;
}

export interface WorkerOptions {
  allowPrivate: boolean;
  log: Pick<BaseLogger, "warn" | "error">;
  /** Called after every attempt (metrics). */
  onDelivery?: (report: DeliveryReport) => void;
  /** How often the outbox is looked at when nothing nudges the worker. */
  pollIntervalMs?: number;
  /** Deadline of one attempt, answer included. */
  timeoutMs?: number;
  /** How long a claimed attempt is reserved for its worker: longer than any attempt takes. */
  leaseMs?: number;
  /** Events claimed (and sent in parallel) at a time. */
  batchSize?: number;
  /** Delay before the first retry; it doubles per attempt, up to retryMaxMs, with jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** An event still failing this long after it was queued is marked failed (and kept). */
  retryWindowMs?: number;
  /** Source of the jitter, in [0, 1). */
  random?: () => number;
}

const DEFAULTS = {
  pollIntervalMs: 1_000,
  timeoutMs: 5_000,
  leaseMs: 60_000,
  batchSize: 10,
  retryBaseMs: 2_000,
  retryMaxMs: 3_600_000,
  retryWindowMs: 86_400_000,
  random: Math.random,
};

/** Each retry waits within ±20% of its nominal delay, so receivers that recover are not hit in waves. */
const JITTER = 0.2;

interface Claimed {
  id: string;
  store_id: number;
  resource_type: string;
  action: string;
  body: string;
  attempts: number;
  lease_id: string;
  url: string | null;
  secret: string | null;
}

export class WebhookWorker {
  private readonly opts: Required<Omit<WorkerOptions, "onDelivery">> & Pick<WorkerOptions, "onDelivery">;
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private nudged = false;
  private stopped = true;

  constructor(
    private readonly db: Db,
    options: WorkerOptions,
  ) {
    this.opts = { ...DEFAULTS, ...options };
    if (this.opts.leaseMs <= this.opts.timeoutMs) throw new RangeError("leaseMs must be longer than timeoutMs");
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** A change that may have queued an event committed: look now rather than at the next poll. */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.nudged = true;
    else this.schedule(0);
  }

  /** Stops polling and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    this.nudged = false;
    this.running = this.drain()
      .catch((err: unknown) => this.opts.log.error({ err }, "webhook worker: could not read the outbox"))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.schedule(this.nudged ? 0 : this.opts.pollIntervalMs);
      });
  }

  /** Sends due events until fewer than a full batch is due. */
  private async drain(): Promise<void> {
    while (!this.stopped) {
      const claimed = await this.claim();
      await Promise.all(claimed.map((e) => this.attempt(e)));
      if (claimed.length < this.opts.batchSize) return;
    }
  }

  private claim(): Promise<Claimed[]> {
    return this.db.$queryRaw<Claimed[]>`
      WITH due AS MATERIALIZED (
        SELECT id, store_id FROM webhook_event
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at
         LIMIT ${this.opts.batchSize}::int
           FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_event e
         SET attempts = e.attempts + 1, lease_id = gen_random_uuid(),
             next_attempt_at = now() + ${this.opts.leaseMs}::int * interval '1 millisecond'
        FROM due LEFT JOIN store_webhook w ON w.store_id = due.store_id
       WHERE e.id = due.id
      RETURNING e.id::text, e.store_id, e.resource_type::text, e.action, e.body, e.attempts,
                e.lease_id::text, w.url, w.secret`;
  }

  private async attempt(e: Claimed): Promise<void> {
    const result: AttemptResult =
      e.url === null || e.secret === null
        ? { ok: false, statusCode: null, error: "the store has no webhook registered any more", responseExcerpt: null, durationMs: 0 }
        : await postEvent(
            e.url,
            { eventId: e.id, requestId: e.lease_id, storeId: e.store_id, resourceType: e.resource_type, action: e.action, body: e.body },
            e.secret,
            { timeoutMs: this.opts.timeoutMs, allowPrivate: this.opts.allowPrivate, agents: this.agents },
          );
    const giveUp = e.url === null;
    let status: string | null;
    try {
      status = await this.record(e, result, giveUp);
    } catch (err) {
      // The lease runs out and the event is attempted again: sent at least once, never lost.
      this.opts.log.error({ err, eventId: e.id }, "webhook worker: could not record an attempt");
      return;
    }
    const outcome: DeliveryOutcome = result.ok ? "delivered" : status === "failed" ? "failed" : "retrying";
    if (!result.ok) {
      this.opts.log.warn(
        { eventId: e.id, storeId: e.store_id, attempt: e.attempts, statusCode: result.statusCode, error: result.error, outcome },
        "webhook attempt failed",
      );
    }
    this.opts.onDelivery?.({
      outcome,
      eventId: e.id,
      storeId: e.store_id,
      attempt: e.attempts,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
    });
  }

  /** Records the attempt and the event's new state; returns that state, or null if the lease was lost. */
  private async record(e: Claimed, r: AttemptResult, giveUp: boolean): Promise<string | null> {
    const rows = await this.db.$queryRaw<{ status: string }[]>`
      WITH logged AS (
        INSERT INTO webhook_attempt (event_id, number, request_id, status_code, error, response_excerpt, duration_ms)
        VALUES (${e.id}::uuid, ${e.attempts}::int, ${e.lease_id}::uuid, ${r.statusCode}::int, ${r.error}::text,
                ${r.responseExcerpt}::text, ${r.durationMs}::int)
      )
      UPDATE webhook_event
         SET status = (CASE
               WHEN ${r.ok}::boolean THEN 'delivered'
               WHEN ${giveUp}::boolean OR queued_at + ${this.opts.retryWindowMs}::int * interval '1 millisecond' <= now() THEN 'failed'
               ELSE 'pending' END)::"WebhookEventStatus",
             next_attempt_at = now() + ${this.retryDelay(e.attempts)}::int * interval '1 millisecond',
             lease_id = NULL, last_status_code = ${r.statusCode}::int, last_error = ${r.error}::text,
             delivered_at = CASE WHEN ${r.ok}::boolean THEN now() END
       WHERE id = ${e.id}::uuid AND lease_id = ${e.lease_id}::uuid
      RETURNING status::text`;
    return rows[0]?.status ?? null;
  }

  /** Exponential backoff with jitter: the wait after the attempt numbered `attempt` failed. */
  private retryDelay(attempt: number): number {
    const nominal = Math.min(this.opts.retryBaseMs * 2 ** Math.min(attempt - 1, 30), this.opts.retryMaxMs);
    return Math.round(nominal * (1 + JITTER * (2 * this.opts.random() - 1)));
  }
}
