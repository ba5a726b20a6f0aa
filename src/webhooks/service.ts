// Webhook registration and the operator's view of deliveries (stampd webhook ..., /admin/...).
import type { Prisma as Db } from "../platform/db/client.js";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../platform/errors.js";
import { newSecret } from "../platform/secrets.js";
import { AddressRefusedError, assertPublicHost, hostOf } from "./address-guard.js";

export interface WebhookView {
  store: number;
  url: string | null;
  created_at: Date | null;
  updated_at: Date | null;
  /** Events by status. */
  pending: number;
  delivered: number;
  failed: number;
}

export interface AttemptView {
  number: number;
  request_id: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  duration_ms: number;
  at: Date;
}

export interface DeliveryView {
  event_id: string;
  resource_type: string;
  action: string;
  status: string;
  attempts: number;
  /** When the next attempt is due; null unless pending. */
  next_retry: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  /** The latest attempts, newest first. */
  history: AttemptView[];
}

const URL_MAX = 2000;
/** Attempts shown per event in the deliveries view. */
const HISTORY_SHOWN = 10;

export class WebhookService {
  constructor(
    private readonly db: Db,
    private readonly config: { allowPrivate: boolean },
  ) {}

  /** Registers (or replaces) the store's webhook with a new signing secret, returned here once. */
  async set(storeId: number, rawUrl: string): Promise<{ store: number; url: string; secret: string }> {
    await this.requireStore(storeId);
    const url = await this.checkUrl(rawUrl);
    const secret = newSecret(32);
    await this.db.storeWebhook.upsert({
      where: { storeId },
      create: { storeId, url, secret },
      update: { url, secret },
    });
    return { store: storeId, url, secret };
  }

  /** Stops webhooks for the store; events not yet sent are marked failed when their turn comes. */
  async clear(storeId: number): Promise<{ store: number; cleared: boolean }> {
    await this.requireStore(storeId);
    const { count } = await this.db.storeWebhook.deleteMany({ where: { storeId } });
    return { store: storeId, cleared: count > 0 };
  }

  async show(storeId: number): Promise<WebhookView> {
    await this.requireStore(storeId);
    const hook = await this.db.storeWebhook.findUnique({ where: { storeId } });
    const counts = await this.db.webhookEvent.groupBy({ by: ["status"], where: { storeId }, _count: true });
    const count = (status: string) => counts.find((c) => c.status === status)?._count ?? 0;
    return {
      store: storeId,
      url: hook?.url ?? null,
      created_at: hook?.createdAt ?? null,
      updated_at: hook?.updatedAt ?? null,
      pending: count("pending"),
      delivered: count("delivered"),
      failed: count("failed"),
    };
  }

  /** The store's latest events, newest first, with their latest attempts. */
  async deliveries(storeId: number, limit: number): Promise<DeliveryView[]> {
    await this.requireStore(storeId);
    const events = await this.db.webhookEvent.findMany({
      where: { storeId },
      orderBy: { createdAt: "desc" },
      take: limit,
      include: { deliveryAttempts: { orderBy: { id: "desc" }, take: HISTORY_SHOWN } },
    });
    return events.map((e) => ({
      event_id: e.id,
      resource_type: e.resourceType,
      action: e.action,
      status: e.status,
      attempts: e.attempts,
      next_retry: e.status === "pending" ? e.nextAttemptAt : null,
      last_status_code: e.lastStatusCode,
      last_error: e.lastError,
      created_at: e.createdAt,
      delivered_at: e.deliveredAt,
      history: e.deliveryAttempts.map((a) => ({
        number: a.number,
        request_id: a.requestId,
        status_code: a.statusCode,
        error: a.error,
        response_excerpt: a.responseExcerpt,
        duration_ms: a.durationMs,
        at: a.createdAt,
      })),
    }));
  }

  /** Queues a failed event again, with the same event id (and body) and a new retry window. */
  async resend(eventId: string): Promise<{ event_id: string; status: string; next_retry: Date }> {
    const [row] = await this.db.$queryRaw<{ event_id: string; status: string; next_retry: Date }[]>`
      UPDATE webhook_event SET status = 'pending', next_attempt_at = now(), queued_at = now()
       WHERE id = ${eventId}::uuid AND status = 'failed'
      RETURNING id::text AS event_id, status::text, next_attempt_at AS next_retry`;
    if (row) return row;
    const e = await this.db.webhookEvent.findUnique({ where: { id: eventId }, select: { status: true } });
    if (!e) throw new NotFoundError(`webhook event ${eventId} not found`);
    throw new ConflictError(`webhook event ${eventId} is ${e.status}; only a failed event can be re-sent`);
  }

  private async requireStore(id: number): Promise<void> {
    if (!(await this.db.store.findUnique({ where: { id }, select: { id: true } }))) throw new NotFoundError(`store ${id} not found`);
  }

  /** Only http(s), no credentials in the URL, and (unless allowed) a public host. */
  private async checkUrl(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InvalidArgumentError("--url: not a valid URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError("--url: must be an http or https URL");
    if (url.username || url.password) throw new InvalidArgumentError("--url: must not contain a user name or password");
    if (url.href.length > URL_MAX) throw new InvalidArgumentError(`--url: longer than ${URL_MAX} characters`);
    if (!this.config.allowPrivate) {
      try {
        await assertPublicHost(hostOf(url));
      } catch (err) {
        if (err instanceof AddressRefusedError) throw new InvalidArgumentError(`--url: ${err.message}`);
        throw new InvalidArgumentError(
          `--url: cannot resolve ${hostOf(url)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
    }
    return url.href;
  }
}
