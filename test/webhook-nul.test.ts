// Issue 13, item 13: a webhook receiver's answer is stored as far as the database can hold it (a
// NUL character cannot be in PostgreSQL text), every attempt's outcome is recorded, and an event
// that keeps failing still ends as failed. A real receiver on 127.0.0.1, on the embedded
// database or on PostgreSQL when DATABASE_URL is set.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { until } from "./support/wait.js";

/** Retries after ~50, 100, 200, 200 ... ms; an event still failing 2 s after it was queued is failed. */
const FAST = { pollIntervalMs: 50, retryBaseMs: 50, retryMaxMs: 200, retryWindowMs: 2_000 };

let s: TestServer;
let receiver: http.Server;
/** What the receiver answers, by the store in X-Vivoldi-Comp-Idx. */
const answers = new Map<string, { status: number; body: Buffer }>();

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const a = answers.get(String(req.headers["x-vivoldi-comp-idx"])) ?? { status: 204, body: Buffer.alloc(0) };
      res.writeHead(a.status, { "content-type": "text/plain" }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true" }, { webhookWorker: FAST });
});
afterAll(async () => {
  await s?.stop();
  receiver?.closeAllConnections();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** A store whose webhook answers `status` with `body`, and one saved change (so one event). */
async function eventAnswered(status: number, body: Buffer): Promise<{ storeId: number; eventId: string }> {
  const store = await s.services.stores.create({ name: `Hook ${status}` });
  answers.set(String(store.id), { status, body });
  await s.services.webhooks.set(store.id, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
  const saved = await s.form("/api/open/save", {
    id: store.id,
    auth_code: store.auth_code,
    device: "openapi",
    number: "010-6400-0001",
    count: 1,
  });
  expect(saved.result).toBe(true);
  const event = await s.db.prisma.webhookEvent.findFirstOrThrow({ where: { storeId: store.id } });
  return { storeId: store.id, eventId: event.id };
}

describe("a receiver's answer with a NUL byte", () => {
  it("is delivered on the first 2xx and its attempt is stored with the NUL escaped", async () => {
    const { eventId } = await eventAnswered(200, Buffer.from("ok\0done", "utf8"));
    const event = await until("the event delivered", () =>
      s.db.prisma.webhookEvent.findFirst({ where: { id: eventId, status: "delivered" } }),
    );
    expect(event.attempts).toBe(1);
    const attempts = await s.db.prisma.webhookAttempt.findMany({ where: { eventId } });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ number: 1, statusCode: 200, error: null, responseExcerpt: "ok\\0done" });
  });

  it("of a failing receiver records every attempt, and the event ends as failed after the retry window", async () => {
    const { eventId } = await eventAnswered(500, Buffer.from("\0broken\0", "utf8"));
    const event = await until("the event failed", () => s.db.prisma.webhookEvent.findFirst({ where: { id: eventId, status: "failed" } }));
    expect(event).toMatchObject({ lastStatusCode: 500, lastError: "HTTP 500", leaseId: null });
    const attempts = await s.db.prisma.webhookAttempt.findMany({ where: { eventId }, orderBy: { number: "asc" } });
    expect(attempts.length).toBe(event.attempts);
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.map((a) => a.number)).toEqual(attempts.map((_, i) => i + 1));
    for (const a of attempts) expect(a).toMatchObject({ statusCode: 500, error: "HTTP 500", responseExcerpt: "\\0broken\\0" });
  });
});
