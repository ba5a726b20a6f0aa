// Webhooks (vivoldi-stamp-api.md, "Webhooks"; docs/webhooks.md) over real HTTP: OPEN API changes
// reach a real receiver on 127.0.0.1 that verifies every delivery with the docs' example code, on
// the embedded database or on PostgreSQL when DATABASE_URL is set.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { until } from "./support/wait.js";
import { stampd as runCli } from "./support/cli.js";
import { WebhookWorker, type DeliveryReport } from "../src/webhooks/worker.js";
import { nonPublicRange } from "../src/webhooks/address-guard.js";
// @ts-expect-error: the example is plain JavaScript, for receivers to copy.
import { verifyWebhook } from "../docs/webhook-receiver.mjs";

const ADMIN_TOKEN = "webhook-test-admin-token";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Short enough for tests: retries after ~50, 100, 200, 200 ... ms; failed after 3 s. */
const FAST = { pollIntervalMs: 50, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 3_000 };

interface Delivery {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  json: any;
  verified: boolean;
  /** When it arrived (Date.now()). */
  at: number;
}

/** A webhook receiver: records every request, checks it as the spec says, answers `answer()`. */
class Receiver {
  deliveries: Delivery[] = [];
  secret = "";
  answer: (d: Delivery) => { status: number; body?: string; delayMs?: number } | "hang" = () => ({ status: 204 });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const d: Delivery = {
        headers: req.headers,
        raw,
        json: JSON.parse(raw.toString("utf8")),
        verified: verifyWebhook(req.headers, raw, this.secret),
        at: Date.now(),
      };
      this.deliveries.push(d);
      const a = this.answer(d);
      if (a !== "hang") setTimeout(() => res.writeHead(a.status).end(a.body), a.delayMs ?? 0);
    });
  });

  static async start(port = 0): Promise<Receiver> {
    const r = new Receiver();
    await new Promise<void>((resolve) => r.server.listen(port, "127.0.0.1", resolve));
    return r;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/stampd`;
  }

  eventIds(): string[] {
    return this.deliveries.map((d) => String(d.headers["x-vivoldi-event-id"]));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function admin(s: TestServer) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await res.json() };
  };
  return {
    setWebhook: (store: number, url: string) => call("POST", `/admin/webhooks/${store}`, { url }),
    show: (store: number) => call("GET", `/admin/webhooks/${store}`),
    deliveries: async (store: number) => (await call("GET", `/admin/webhooks/${store}/deliveries`)).body as any[],
    resend: (event: string) => call("POST", `/admin/webhook-events/${event}/resend`, {}),
    clear: (store: number) => call("DELETE", `/admin/webhooks/${store}`, {}),
  };
}

/** A store whose webhook points at `receiver` (which then knows the secret). */
async function storeWithWebhook(s: TestServer, receiver: Receiver, name: string) {
  const store = await s.services.stores.create({ name, loginId: name });
  const set = await admin(s).setWebhook(store.id, receiver.url);
  expect(set.status).toBe(200);
  receiver.secret = set.body.secret;
  const save = (number: string, count: number, extra: Record<string, string> = {}) =>
    s.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number, count, ...extra });
  const use = (number: string, count: number) =>
    s.form("/api/open/use", { id: store.id, auth_code: store.auth_code, device: "openapi", number, count });
  return { store, save, use };
}

/** Runs the real `stampd` command line against the server's database. */
const stampd = (s: TestServer, args: string[]) => runCli(args, { ...s.database.env, WEBHOOK_ALLOW_PRIVATE: "true" });

const eventsOf = (s: TestServer, storeId: number) =>
  s.db.prisma.webhookEvent.findMany({ where: { storeId }, orderBy: { createdAt: "asc" } });

/**
 * Waits until every event of the store is recorded as delivered or failed: from then on no worker
 * sends any of them again, so the deliveries counted afterwards are all there will be.
 */
const settled = (s: TestServer, storeId: number) =>
  until("every event delivered or failed", async () => {
    const events = await eventsOf(s, storeId);
    return events.length > 0 && events.every((e) => e.status !== "pending") && events;
  });

describe("signed deliveries of OPEN API changes", () => {
  let s: TestServer;
  const reports: DeliveryReport[] = [];
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    s = await startTestServer(
      { WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN },
      { webhookWorker: { ...FAST, timeoutMs: 500, onDelivery: (r) => reports.push(r) } },
    );
  });
  afterAll(async () => {
    await s?.stop();
    for (const r of receivers) await r.close();
  });

  it("sends SAVE and USE with the spec's headers, a verifiable signature and the documented body", async () => {
    const rx = await receiver();
    const { store, save, use } = await storeWithWebhook(s, rx, "signed");
    const saved = await save("010-3000-0001", 3);
    const used = await use("010-3000-0001", 1);
    await until("two deliveries", () => rx.deliveries.length >= 2);

    expect(rx.deliveries.map((d) => d.verified)).toEqual([true, true]);
    const [first, second] = rx.deliveries as [Delivery, Delivery];
    const entries = await s.db.prisma.ledgerEntry.findMany({ where: { storeId: store.id }, orderBy: { id: "asc" } });
    expect(first.headers).toMatchObject({
      "content-type": "application/json",
      "x-vivoldi-webhook-type": "GROUP",
      "x-vivoldi-resource-type": "POINT",
      "x-vivoldi-action-type": "SAVE",
      "x-vivoldi-comp-idx": String(store.id),
      "x-vivoldi-event-id": expect.stringMatching(UUID),
      "x-vivoldi-request-id": expect.stringMatching(UUID),
    });
    expect(second.headers["x-vivoldi-action-type"]).toBe("USE");
    const t = Number(first.headers["x-vivoldi-timestamp"]);
    expect(Math.abs(Date.now() - t)).toBeLessThan(60_000);
    expect(first.headers["x-vivoldi-signature"]).toMatch(new RegExp(`^t=${t},v1=[0-9a-f]{64},alg=hmac-sha256$`));
    expect(first.headers["x-content-sha256"]).toMatch(/^[0-9a-f]{64}$/);

    expect(first.json).toEqual({
      eventId: first.headers["x-vivoldi-event-id"],
      resourceType: "POINT",
      action: "SAVE",
      compIdx: store.id,
      change: 3,
      occurredAt: entries[0]!.createdAt.toISOString(),
      point: { storeId: store.id, memberNo: saved.member_no, entryId: entries[0]!.id, balance: 3 },
    });
    expect(second.json).toMatchObject({
      action: "USE",
      change: -1,
      point: { memberNo: used.member_no, entryId: entries[1]!.id, balance: 2 },
    });
  });

  it("signs with the store's secret: a changed body, timestamp or secret does not verify", async () => {
    const rx = await receiver();
    const { save } = await storeWithWebhook(s, rx, "tamper");
    await save("010-3000-0002", 1);
    const d = await until("a delivery", () => rx.deliveries[0]);
    expect(verifyWebhook(d.headers, d.raw, rx.secret)).toBe(true);
    expect(verifyWebhook(d.headers, Buffer.from(d.raw.toString().replace(/("change" ?: ?)1/, "$19")), rx.secret)).toBe(false);
    expect(
      verifyWebhook({ ...d.headers, "x-vivoldi-timestamp": String(Number(d.headers["x-vivoldi-timestamp"]) + 1) }, d.raw, rx.secret),
    ).toBe(false);
    expect(verifyWebhook(d.headers, d.raw, `${rx.secret}x`)).toBe(false);
  });

  it("queues nothing for a store without a webhook, a refused change or a replayed idempotent call, and wakes the worker only for an event", async () => {
    // The real nudge, watched: the worker is woken by a change that queued an event, not by every change.
    const wakes = vi.spyOn(s.services.webhookNudge, "ring");
    const plain = await s.services.stores.create({ name: "Plain", loginId: "plain" });
    await s.form("/api/open/save", { id: plain.id, auth_code: plain.auth_code, device: "openapi", number: "010-3000-0003", count: 1 });
    expect(await eventsOf(s, plain.id)).toEqual([]);
    expect(wakes).not.toHaveBeenCalled();

    const rx = await receiver();
    const { store, save, use } = await storeWithWebhook(s, rx, "quiet");
    expect(await use("010-3000-0004", 5)).toMatchObject({ result: false });
    const once = await save("010-3000-0004", 2, { idempotency_key: "k-1" });
    const again = await save("010-3000-0004", 2, { idempotency_key: "k-1" });
    expect(again).toEqual(once);
    expect(wakes).toHaveBeenCalledTimes(1);
    wakes.mockRestore();
    await until("the delivery", () => rx.deliveries.length === 1);
    await settled(s, store.id);
    expect((await eventsOf(s, store.id)).map((e) => e.action)).toEqual(["SAVE"]);
    expect(rx.deliveries).toHaveLength(1);
  });

  it("queues the event of a change to a store this server last saw without a webhook, and none once it is cleared; each change applies and counts once", async () => {
    const store = await s.services.stores.create({ name: "Late hook", loginId: "late-hook" });
    const save = () =>
      s.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number: "010-3000-0009", count: 1 });
    const seen = async () => ({
      events: (await eventsOf(s, store.id)).length,
      rows: await s.db.prisma.ledgerEntry.count({ where: { storeId: store.id } }),
      calls: (await s.db.prisma.dailyUsage.findFirstOrThrow({ where: { storeId: store.id } })).calls,
    });
    expect(await save()).toMatchObject({ result: true, total_point: 1 });
    expect(await seen()).toEqual({ events: 0, rows: 1, calls: 1 });

    const rx = await receiver();
    rx.secret = (await admin(s).setWebhook(store.id, rx.url)).body.secret;
    expect(await save()).toMatchObject({ result: true, total_point: 2 });
    expect(await seen()).toEqual({ events: 1, rows: 2, calls: 2 });
    await until("the delivery", () => rx.deliveries.length === 1);
    expect(rx.deliveries[0]!.json).toMatchObject({ action: "SAVE", point: { storeId: store.id, balance: 2 } });

    await admin(s).clear(store.id);
    for (const balance of [3, 4]) expect(await save()).toMatchObject({ result: true, total_point: balance });
    expect(await seen()).toEqual({ events: 1, rows: 4, calls: 4 });
  });

  it("retries a failing receiver with the same event id and a new request id, and shows it to the operator", async () => {
    const rx = await receiver();
    const { store, save } = await storeWithWebhook(s, rx, "flaky");
    rx.answer = () => (rx.deliveries.length <= 2 ? { status: 503, body: "busy" } : { status: 200 });
    await save("010-3000-0005", 1);
    await until("the third attempt", () => rx.deliveries.length === 3);

    const [eventId] = rx.eventIds();
    expect(rx.eventIds()).toEqual([eventId, eventId, eventId]);
    expect(new Set(rx.deliveries.map((d) => d.headers["x-vivoldi-request-id"])).size).toBe(3);
    expect(new Set(rx.deliveries.map((d) => d.raw.toString())).size).toBe(1);
    expect(rx.deliveries.every((d) => d.verified)).toBe(true);

    const [view] = await until("delivered", async () => {
      const v = await admin(s).deliveries(store.id);
      return v[0]?.status === "delivered" && v;
    });
    expect(view).toMatchObject({
      event_id: eventId,
      action: "SAVE",
      status: "delivered",
      attempts: 3,
      next_retry: null,
      last_status_code: 200,
      last_error: null,
    });
    expect(view.history.map((a: any) => [a.number, a.status_code, a.error, a.response_excerpt])).toEqual([
      [3, 200, null, null],
      [2, 503, "HTTP 503", "busy"],
      [1, 503, "HTTP 503", "busy"],
    ]);
    expect(view.history.map((a: any) => a.request_id)).toEqual(rx.deliveries.map((d) => d.headers["x-vivoldi-request-id"]).reverse());
    expect(reports.filter((r) => r.eventId === eventId).map((r) => [r.attempt, r.outcome, r.statusCode])).toEqual([
      [1, "retrying", 503],
      [2, "retrying", 503],
      [3, "delivered", 200],
    ]);
  });

  it("keeps no more than 512 characters of an answer, and gives up on a silent receiver after the timeout", async () => {
    const rx = await receiver();
    const { store, save } = await storeWithWebhook(s, rx, "noisy");
    rx.answer = () => (rx.deliveries.length === 1 ? { status: 500, body: "x".repeat(100_000) } : "hang");
    await save("010-3000-0006", 1);
    const view = await until("two attempts recorded", async () => {
      const [v] = await admin(s).deliveries(store.id);
      return v?.history.length >= 2 && v;
    });
    const [second, first] = view.history;
    expect(first).toMatchObject({ status_code: 500, error: "HTTP 500", response_excerpt: "x".repeat(512) });
    expect(second).toMatchObject({ status_code: null, error: "no answer within 500 ms", response_excerpt: null });
    expect(second.duration_ms).toBeGreaterThanOrEqual(450);
  });

  it("marks an event failed after the retry window and keeps it; resend delivers it with the same id and body", async () => {
    const rx = await receiver();
    const { store, save } = await storeWithWebhook(s, rx, "down");
    rx.answer = () => ({ status: 500 });
    await save("010-3000-0007", 4);
    const [failed] = await until("failed", async () => {
      const v = await admin(s).deliveries(store.id);
      return v[0]?.status === "failed" && v;
    });
    const attempts = rx.deliveries.length;
    expect(attempts).toBeGreaterThanOrEqual(4);
    expect(failed).toMatchObject({ status: "failed", attempts, next_retry: null, last_status_code: 500 });
    expect(reports.filter((r) => r.eventId === failed.event_id).at(-1)?.outcome).toBe("failed");
    // Recorded as failed (waited for above): no worker sends it again.
    expect(rx.deliveries).toHaveLength(attempts);

    rx.answer = () => ({ status: 202 });
    const resent = await admin(s).resend(failed.event_id);
    expect(resent).toMatchObject({ status: 200, body: { event_id: failed.event_id, status: "pending" } });
    await until("the resent delivery", () => rx.deliveries.length === attempts + 1);
    const last = rx.deliveries.at(-1)!;
    expect(last.headers["x-vivoldi-event-id"]).toBe(failed.event_id);
    expect(last.raw.equals(rx.deliveries[0]!.raw)).toBe(true);
    expect(last.verified).toBe(true);
    await until("delivered", async () => (await admin(s).deliveries(store.id))[0]?.status === "delivered");

    expect(await admin(s).resend(failed.event_id)).toMatchObject({ status: 409, body: { error: "CONFLICT" } });
    expect(await admin(s).resend("00000000-0000-4000-8000-000000000000")).toMatchObject({ status: 404 });
    expect(await admin(s).resend("not-an-id")).toMatchObject({ status: 400 });
  });

  it("shows and clears a registration without revealing the secret; events of a cleared store fail", async () => {
    const rx = await receiver();
    const { store, save } = await storeWithWebhook(s, rx, "cleared");
    rx.answer = () => "hang";
    await save("010-3000-0008", 1);
    await until("an attempt", () => rx.deliveries.length === 1);
    const shown = await admin(s).show(store.id);
    expect(shown.body).toMatchObject({ store: store.id, url: rx.url, pending: 1, delivered: 0, failed: 0 });
    expect(JSON.stringify(shown.body)).not.toContain(rx.secret);

    expect((await admin(s).clear(store.id)).body).toEqual({ store: store.id, cleared: true });
    const [view] = await until("failed", async () => {
      const v = await admin(s).deliveries(store.id);
      return v[0]?.status === "failed" && v;
    });
    expect(view.last_error).toBe("the store has no webhook registered any more");
    expect((await admin(s).show(store.id)).body).toMatchObject({ url: null, pending: 0, failed: 1 });
    expect(await save("010-3000-0008", 1)).toMatchObject({ result: true });
    expect(await eventsOf(s, store.id)).toHaveLength(1);
    expect((await admin(s).clear(store.id)).body).toEqual({ store: store.id, cleared: false });
  });

  it("is run from the command line: stampd webhook set, deliveries, resend", async () => {
    const rx = await receiver();
    const store = await s.services.stores.create({ name: "Cli", loginId: "cli" });
    const set = await stampd(s, ["webhook", "set", "--store", String(store.id), "--url", rx.url]);
    expect(set).toMatchObject({ code: 0, stderr: "" });
    expect(set.stdout).toContain(`url: ${rx.url}`);
    expect(set.stdout).toContain("(secret is shown once: keep it now)");
    rx.secret = /^secret: (\S+)$/m.exec(set.stdout)![1]!;

    await s.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number: "010-3000-0009", count: 1 });
    const d = await until("the delivery", () => rx.deliveries[0]);
    expect(d.verified).toBe(true);
    await until("delivered", async () => (await eventsOf(s, store.id))[0]?.status === "delivered");

    const listed = await stampd(s, ["webhook", "deliveries", "--store", String(store.id), "--json"]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ event_id: d.headers["x-vivoldi-event-id"], status: "delivered", attempts: 1, last_status_code: 204 }),
    ]);

    expect(await stampd(s, ["webhook", "set", "--store", String(store.id), "--url", "ftp://example.com/"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "stampd: --url: must be an http or https URL\n",
    });
    expect(await stampd(s, ["webhook", "resend", "--event", String(d.headers["x-vivoldi-event-id"])])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("only a failed event can be re-sent"),
    });
  });

  it("issues a new secret when the webhook is set again", async () => {
    const rx = await receiver();
    const { store } = await storeWithWebhook(s, rx, "rotate");
    const again = await admin(s).setWebhook(store.id, `${rx.url}?v=2`);
    expect(again.body).toMatchObject({ store: store.id, url: `${rx.url}?v=2`, secret: expect.any(String) });
    expect(again.body.secret).not.toBe(rx.secret);
    expect(again.body.secret.length).toBeGreaterThanOrEqual(40);
    expect(await admin(s).setWebhook(9999, rx.url)).toMatchObject({ status: 404 });
  });
});

describe("the outbox survives stops and crashes", () => {
  it("delivers, once, an event recorded while the worker was not running, after a restart", async () => {
    const rx = await Receiver.start();
    let s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN }, { webhookWorker: false });
    const { store, save } = await storeWithWebhook(s, rx, "restart");
    await save("010-3100-0001", 2);
    await s.close();
    expect(rx.deliveries).toEqual([]);

    s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN }, { database: s.database, webhookWorker: FAST });
    try {
      await until("the delivery", () => rx.deliveries.length === 1);
      await settled(s, store.id);
      expect(rx.deliveries).toHaveLength(1);
      expect(rx.deliveries[0]).toMatchObject({ verified: true, json: { action: "SAVE", change: 2 } });
    } finally {
      await s.stop();
      await rx.close();
    }
  });

  it("delivers, once, an event recorded while the receiver was down, after the server was restarted", async () => {
    const down = await Receiver.start();
    const port = down.port;
    let s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN }, { webhookWorker: { ...FAST, retryBaseMs: 200 } });
    const { store, save } = await storeWithWebhook(s, down, "outage");
    await down.close();
    await save("010-3100-0002", 1);
    await until("a refused attempt", async () => (await eventsOf(s, store.id))[0]?.lastError?.includes("ECONNREFUSED"));
    await s.close();

    const up = await Receiver.start(port);
    up.secret = down.secret;
    s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN }, { database: s.database, webhookWorker: FAST });
    try {
      await until("the delivery", () => up.deliveries.length === 1);
      await settled(s, store.id);
      expect(up.deliveries).toHaveLength(1);
      expect(up.deliveries[0]!.verified).toBe(true);
      const [event] = await eventsOf(s, store.id);
      expect(event).toMatchObject({ status: "delivered", leaseId: null });
      expect(event!.attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await s.stop();
      await up.close();
    }
  });

  it("finishes and records the attempt in flight when the server stops", async () => {
    const rx = await Receiver.start();
    rx.answer = () => ({ status: 200, delayMs: 600 });
    let s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN }, { webhookWorker: FAST });
    const { store, save } = await storeWithWebhook(s, rx, "shutdown");
    await save("010-3100-0004", 1);
    await until("the attempt", () => rx.deliveries.length === 1);
    await s.close();

    s = await startTestServer({ ADMIN_TOKEN }, { database: s.database, webhookWorker: false });
    try {
      const [event] = await eventsOf(s, store.id);
      expect(event).toMatchObject({ status: "delivered", attempts: 1, leaseId: null, lastStatusCode: 200 });
    } finally {
      await s.stop();
      await rx.close();
    }
  });

  it("sends again an attempt whose worker died holding its lease, once the lease has run out", async () => {
    const rx = await Receiver.start();
    const s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN }, { webhookWorker: false });
    try {
      const { store, save } = await storeWithWebhook(s, rx, "lease");
      await save("010-3100-0003", 1);
      // What a worker that claimed the event and then died leaves behind.
      const [lease] = await s.db.prisma.$queryRaw<{ until: Date }[]>`
        UPDATE webhook_event SET attempts = 1, lease_id = gen_random_uuid(), next_attempt_at = now() + interval '700 milliseconds'
         WHERE store_id = ${store.id} RETURNING next_attempt_at AS until`;
      const worker = new WebhookWorker(s.db.prisma, { allowPrivate: true, log: s.app.log, ...FAST });
      worker.start();
      await until("the delivery", () => rx.deliveries.length === 1);
      // Not before the dead worker's lease ran out.
      expect(rx.deliveries[0]!.at).toBeGreaterThanOrEqual(lease!.until.getTime());
      await worker.stop();
      const [event] = await eventsOf(s, store.id);
      expect(event).toMatchObject({ status: "delivered", attempts: 2, leaseId: null });
    } finally {
      await s.stop();
      await rx.close();
    }
  });

  it("delivers each event once with two workers on one database (two servers on PostgreSQL)", async () => {
    const rx = await Receiver.start();
    rx.answer = () => ({ status: 200 });
    const a = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", ADMIN_TOKEN }, { webhookWorker: false });
    const { store, save } = await storeWithWebhook(a, rx, "twice");
    const EVENTS = 30;
    for (let i = 0; i < EVENTS; i++) await save(`010-3200-${String(i).padStart(4, "0")}`, 1);

    const delivered: string[] = [];
    const onDelivery = (r: DeliveryReport) => r.outcome === "delivered" && delivered.push(r.eventId);
    const options = { ...FAST, batchSize: 3, onDelivery };
    // Two instances need PostgreSQL; the embedded database is one process's, so there the second
    // worker runs beside the first, over the same database.
    const b =
      a.database.kind === "postgres"
        ? await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true" }, { database: a.database, webhookWorker: options })
        : null;
    const workers = [new WebhookWorker(a.db.prisma, { allowPrivate: true, log: a.app.log, ...options })];
    if (!b) workers.push(new WebhookWorker(a.db.prisma, { allowPrivate: true, log: a.app.log, ...options }));
    try {
      for (const w of workers) w.start();
      await until("every event", () => new Set(rx.eventIds()).size === EVENTS);
      await settled(a, store.id);
      // A worker reports a delivery after recording it, so the last reports may trail the records.
      await until("every delivery reported", () => delivered.length >= EVENTS);
      expect(rx.deliveries).toHaveLength(EVENTS);
      expect(delivered.sort()).toEqual(rx.eventIds().sort());
      expect(rx.deliveries.every((d) => d.verified)).toBe(true);
      const events = await eventsOf(a, store.id);
      expect(events.map((e) => [e.status, e.attempts])).toEqual(Array(EVENTS).fill(["delivered", 1]));
    } finally {
      for (const w of workers) await w.stop();
      await b?.close();
      await a.stop();
      await rx.close();
    }
  });
});

describe("server-side request forgery", () => {
  let s: TestServer;
  let rx: Receiver;
  beforeAll(async () => {
    s = await startTestServer({ ADMIN_TOKEN }, { webhookWorker: FAST });
    rx = await Receiver.start();
  });
  afterAll(async () => {
    await s?.stop();
    await rx?.close();
  });

  it.each([
    ["http://127.0.0.1:8080/hook", "loopback"],
    ["http://localhost/hook", "loopback"],
    ["http://[::1]/hook", "loopback"],
    ["http://10.1.2.3/hook", "private"],
    ["https://192.168.0.10/hook", "private"],
    ["http://169.254.169.254/latest/meta-data", "linkLocal"],
    ["http://[fd00::1]/hook", "uniqueLocal"],
    ["http://[::ffff:127.0.0.1]/hook", "loopback"],
    ["http://0.0.0.0/hook", "unspecified"],
  ])("refuses to register %s without WEBHOOK_ALLOW_PRIVATE", async (url, range) => {
    const store = await s.services.stores.create({ name: `ssrf ${Math.random()}` });
    const res = await admin(s).setWebhook(store.id, url);
    expect(res).toMatchObject({ status: 400, body: { error: "INVALID_ARGUMENT" } });
    expect(res.body.message).toContain(`a ${range} address`);
    expect(res.body.message).toContain("WEBHOOK_ALLOW_PRIVATE");
    expect((await admin(s).show(store.id)).body.url).toBeNull();
  });

  it.each([
    ["ftp://example.com/hook", "--url: must be an http or https URL"],
    ["file:///etc/passwd", "--url: must be an http or https URL"],
    ["https://user:pw@example.com/hook", "--url: must not contain a user name or password"],
    ["not a url", "--url: not a valid URL"],
  ])("refuses %s", async (url, message) => {
    const store = await s.services.stores.create({ name: `bad url ${Math.random()}` });
    expect(await admin(s).setWebhook(store.id, url)).toMatchObject({ status: 400, body: { message } });
  });

  it.each([["localhost"], ["127.0.0.1"]])(
    "refuses at delivery a host that resolves to a private address by then (%s), and keeps retrying",
    async (host) => {
      const store = await s.services.stores.create({ name: `rebind ${host}` });
      // Registered while the name was public; now it points inside (DNS rebinding).
      await s.db.prisma.storeWebhook.create({ data: { storeId: store.id, url: `http://${host}:${rx.port}/`, secret: "s3cret" } });
      await s.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number: "010-3300-0001", count: 1 });
      const [event] = await until("two refused attempts", async () => {
        const e = await eventsOf(s, store.id);
        return e[0] && e[0].attempts >= 2 && e;
      });
      expect(event).toMatchObject({ status: "pending", lastStatusCode: null });
      expect(event!.lastError).toMatch(
        /(localhost \()?127\.0\.0\.1\)? is a loopback address; webhooks go to public addresses only unless WEBHOOK_ALLOW_PRIVATE=true/,
      );
      expect(rx.deliveries).toEqual([]);
    },
  );

  it("classifies addresses with ipaddr.js: only public unicast passes", () => {
    expect(["93.184.215.14", "2606:4700::1111", "8.8.8.8", "172.15.0.1", "172.32.0.1"].map(nonPublicRange)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(
      [
        "127.0.0.2",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.1.1",
        "100.64.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "::",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
      ].map(nonPublicRange),
    ).toEqual([
      "loopback",
      "private",
      "private",
      "private",
      "linkLocal",
      "carrierGradeNat",
      "multicast",
      "broadcast",
      "unspecified",
      "linkLocal",
      "uniqueLocal",
      "private",
      "rfc6052",
    ]);
  });
});
