// STAMP webhook events (vivoldi-stamp-api.md, "Webhooks"; docs/webhooks.md): every change of a
// stamp's count or used flag queues, in its own statement, an event whose `stamp` is the stamp
// object as validate shows it after the change; a real receiver verifies one delivery.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { until } from "./support/wait.js";
import { dayFromToday, stampClient, type StampCall } from "./support/stamp-client.js";
// @ts-expect-error: the example is plain JavaScript, for receivers to copy.
import { verifyWebhook } from "../docs/webhook-receiver.mjs";

let s: TestServer;
let call: StampCall;
let store: number;
let card: number;
let onsiteCard: number;
let secret: string;
const received: { headers: http.IncomingHttpHeaders; raw: Buffer }[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true" }, { webhookWorker: { pollIntervalMs: 50 } });
  store = (await s.services.stores.create({ name: "Hooked cafe" })).id;
  call = stampClient(s, (await s.services.apiKeys.create({ store, plan: "personal" })).key);
  card = (await s.services.cards.create({ store, name: "Americano", title: "3 for 1", maxStamps: 3 })).cardIdx;
  onsiteCard = (await s.services.cards.create({ store, name: "Latte", title: "5 for 1", maxStamps: 5, onsitePwd: "9999" })).cardIdx;
  secret = (await s.services.webhooks.set(store, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`)).secret;
});
afterAll(async () => {
  await s?.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

/** The events queued for the store after `since` events, as [action, change, body]. */
async function eventsAfter(since: number) {
  const events = await s.db.prisma.webhookEvent.findMany({ where: { storeId: store }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return events.slice(since).map((e) => ({ action: e.action, resource: e.resourceType, body: JSON.parse(e.body) }));
}
const eventCount = () => s.db.prisma.webhookEvent.count({ where: { storeId: store } });
const newStamp = async (cardIdx = card) =>
  Number(
    (await call("create", { cardIdx, strtYmd: dayFromToday(0, s.config.TIME_ZONE), endYmd: dayFromToday(30, s.config.TIME_ZONE) })).result,
  );

describe("STAMP events", () => {
  it("ADD and REMOVE carry the change and the stamp as validate shows it afterwards", async () => {
    const idx = await newStamp();
    const before = await eventCount();
    expect((await call("add", { stampIdx: idx })).code).toBe(0);
    const afterAdd = (await call("validate", { stampIdx: idx })).result;
    expect((await call("remove", { stampIdx: idx })).code).toBe(0);
    const afterRemove = (await call("validate", { stampIdx: idx })).result;

    const events = await eventsAfter(before);
    expect(events.map((e) => [e.resource, e.action, e.body.change])).toEqual([
      ["STAMP", "ADD", 1],
      ["STAMP", "REMOVE", -1],
    ]);
    expect(events[0]!.body).toMatchObject({ resourceType: "STAMP", action: "ADD", compIdx: store, stamp: afterAdd });
    expect(events[1]!.body.stamp).toEqual(afterRemove);
    expect(Object.keys(events[0]!.body.stamp)).toEqual(Object.keys(afterAdd));
  });

  it("USE on redeem and on update with useYn=Y; update's count changes are ADD or REMOVE with their size", async () => {
    const idx = await newStamp(onsiteCard);
    const before = await eventCount();
    expect((await call("update", { stampIdx: idx, stamps: 4, memo: "regular" })).code).toBe(0);
    expect((await call("update", { stampIdx: idx, stamps: 1 })).code).toBe(0);
    expect((await call("update", { stampIdx: idx, stamps: 5 })).code).toBe(0);
    const full = (await call("validate", { stampIdx: idx })).result;
    expect((await call("redeem", { stampIdx: idx, onsitePwd: "9999" })).code).toBe(0);
    expect((await call("update", { stampIdx: idx, useYn: "N" })).code).toBe(0);
    expect((await call("update", { stampIdx: idx, useYn: "Y", stamps: 0 })).code).toBe(0);

    const events = await eventsAfter(before);
    const summary = events.map((e) => [e.action, e.body.change, e.body.stamp.stamps]);
    expect(summary.slice(0, 4)).toEqual([
      ["ADD", 4, 4],
      ["REMOVE", -3, 1],
      ["ADD", 4, 5],
      ["USE", 0, 5],
    ]);
    // The last update made two changes in one statement: its two events share one moment, in no set order.
    expect(summary.slice(4).sort()).toEqual([
      ["REMOVE", -5, 0],
      ["USE", 0, 0],
    ]);
    expect(events[0]!.body.stamp.memo).toBe("regular");
    expect(events[3]!.body.stamp).toEqual(full);
  });

  it("queues nothing for create, validate, delete, a refused change or a store without a webhook, and wakes the worker only for an event", async () => {
    // The real nudge, watched: the worker is woken by a change that queued an event, not by every change.
    const wakes = vi.spyOn(s.services.webhookNudge, "ring");
    const idx = await newStamp();
    const before = await eventCount();
    await call("validate", { stampIdx: idx });
    expect((await call("remove", { stampIdx: idx })).code).toBe(2007);
    expect((await call("redeem", { stampIdx: idx })).code).toBe(2007);
    expect((await call("update", { stampIdx: idx, memo: "no count change" })).code).toBe(0);
    expect((await call("delete", { stampIdx: idx })).code).toBe(0);
    expect(await eventCount()).toBe(before);

    const plain = await s.services.stores.create({ name: "No hook" });
    const plainCall = stampClient(s, (await s.services.apiKeys.create({ store: plain.id, plan: "personal" })).key);
    const plainCard = (await s.services.cards.create({ store: plain.id, name: "A", title: "t", maxStamps: 3 })).cardIdx;
    const p = (
      await plainCall("create", {
        cardIdx: plainCard,
        strtYmd: dayFromToday(0, s.config.TIME_ZONE),
        endYmd: dayFromToday(1, s.config.TIME_ZONE),
      })
    ).result;
    expect((await plainCall("add", { stampIdx: p })).code).toBe(0);
    expect(await s.db.prisma.webhookEvent.count({ where: { storeId: plain.id } })).toBe(0);
    expect(wakes).not.toHaveBeenCalled();

    const hooked = await newStamp();
    expect((await call("add", { stampIdx: hooked })).code).toBe(0);
    expect(wakes).toHaveBeenCalledTimes(1);
    wakes.mockRestore();
  });

  it("is delivered signed with the stamp headers, verified by the documented receiver", async () => {
    const idx = await newStamp();
    expect((await call("add", { stampIdx: idx })).code).toBe(0);
    // This stamp's delivery: events of other tests' stamps may still be arriving.
    const ofThisStamp = (r: (typeof received)[number]) =>
      (JSON.parse(r.raw.toString("utf8")) as { stamp?: { stampIdx?: number } }).stamp?.stampIdx === idx;
    const d = await until("the delivery", () => received.find(ofThisStamp));
    expect(verifyWebhook(d.headers, d.raw, secret)).toBe(true);
    expect(d.headers).toMatchObject({
      "x-vivoldi-webhook-type": "GROUP",
      "x-vivoldi-resource-type": "STAMP",
      "x-vivoldi-action-type": "ADD",
      "x-vivoldi-comp-idx": String(store),
    });
    expect(JSON.parse(d.raw.toString("utf8"))).toMatchObject({
      action: "ADD",
      change: 1,
      stamp: { stampIdx: idx, stamps: 1, payloadVersion: "v1" },
    });
  });
});
