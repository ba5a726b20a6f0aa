// The stamp API's keys, plans and rate limits (shared/spec/vivoldi-stamp-api.md, "Transport and
// auth", "Plans and rate limits") over real HTTP, plus the window edges on a pinned clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/platform/config.js";
import { startServer, type RunningServer } from "../src/server.js";
import { PLAN_LIMITS } from "../src/vivoldi/gate.js";
import { StampError, StampService } from "../src/vivoldi/service.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, pinnedStampService, stampClient, type StampAnswer } from "./support/stamp-client.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ DB_POOL_SIZE: "16" });
});
afterAll(() => s?.stop());

/** A store of `plan` with its own card, a key and a client; `limits` are operator overrides. */
async function account(
  plan: "free" | "personal" | "premium" | "business" | "business_plus" | "enterprise",
  limits: { limitMinute?: number; limitHour?: number; limitDay?: number } = {},
) {
  const store = await s.services.stores.create({ name: `${plan} store`, ...limits });
  const { key, id: keyId } = await s.services.apiKeys.create({ store: store.id, plan });
  const card = (await s.services.cards.create({ store: store.id, name: "Card", title: "t", maxStamps: 10 })).cardIdx;
  return { store: store.id, key, keyId, card, call: stampClient(s, key) };
}

const usageOf = (store: number) => s.db.prisma.rateUsage.findUnique({ where: { storeId: store } });

const rate = (a: StampAnswer) => ({
  limit: a.headers.get("x-ratelimit-limit"),
  remaining: a.headers.get("x-ratelimit-remaining"),
  reset: a.headers.get("x-ratelimit-reset"),
  retryAfter: a.headers.get("retry-after"),
});

/** Waits, if need be, until a new minute has at least `seconds` left, so a burst stays in one window. */
async function withinOneMinute(seconds = 5) {
  const left = 60 - (new Date().getSeconds() + new Date().getMilliseconds() / 1000);
  if (left < seconds) await new Promise((r) => setTimeout(r, left * 1000 + 100));
}

const nextMinute = () => Math.ceil((Date.now() + 1) / 60_000) * 60;

describe("4010: missing, malformed, unknown or revoked API key", () => {
  it("answers 401 with the envelope, for every way the key can be wrong, and counts nothing", async () => {
    const a = await account("personal");
    const idx = (
      await a.call("create", { cardIdx: a.card, strtYmd: dayFromToday(0, s.config.TIME_ZONE), endYmd: dayFromToday(9, s.config.TIME_ZONE) })
    ).result;
    const before = await usageOf(a.store);
    const headers = [
      null,
      "",
      "Bearer " + a.key,
      "APIKey",
      `APIKey ${a.key} extra`,
      "APIKey short",
      "APIKey not/base64url-key!!",
      "APIKey ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
    ];
    for (const authorization of headers) {
      const r = await a.call("validate", { stampIdx: idx }, { authorization });
      expect({ status: r.status, code: r.code, result: r.result }, String(authorization)).toEqual({
        status: 401,
        code: 4010,
        result: null,
      });
      expect(r.headers.get("x-ratelimit-limit")).toBeNull();
    }
    expect(await usageOf(a.store)).toEqual(before);
    // The scheme is not case-sensitive, as with other HTTP authentication schemes.
    expect((await a.call("validate", { stampIdx: idx }, { authorization: `apikey ${a.key}` })).code).toBe(0);
  });

  it("stops a revoked key at once while the store's other keys keep working", async () => {
    const a = await account("personal");
    const second = await s.services.apiKeys.create({ store: a.store });
    const idx = (
      await a.call("create", { cardIdx: a.card, strtYmd: dayFromToday(0, s.config.TIME_ZONE), endYmd: dayFromToday(9, s.config.TIME_ZONE) })
    ).result;
    expect((await a.call("validate", { stampIdx: idx })).code).toBe(0);
    await s.services.apiKeys.revoke(a.keyId);
    expect((await a.call("validate", { stampIdx: idx })).code).toBe(4010);
    expect((await stampClient(s, second.key)("validate", { stampIdx: idx })).code).toBe(0);
    expect((await s.services.apiKeys.list(a.store)).map((k) => [k.id, k.revoked_at !== null])).toEqual([
      [a.keyId, true],
      [second.id, false],
    ]);
  });

  it("refuses the keys of an inactive store", async () => {
    const a = await account("personal");
    await s.services.stores.set(a.store, { active: false });
    expect((await a.call("validate", { stampIdx: 1 })).code).toBe(4010);
  });

  it("stores keys only as a hash", async () => {
    const a = await account("personal");
    const rows = await s.db.prisma.apiKey.findMany({ where: { storeId: a.store } });
    expect(JSON.stringify(rows)).not.toContain(a.key);
    expect(rows[0]!.keyHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("4030: plans", () => {
  it("refuses every endpoint to a Free account, without counting the call", async () => {
    const a = await account("free");
    for (const endpoint of ["validate", "create", "add", "remove", "update", "redeem", "delete"]) {
      const r = await a.call(endpoint, { stampIdx: 1, cardIdx: a.card, strtYmd: "2025-01-01", endYmd: "2025-12-31" });
      expect({ status: r.status, code: r.code, result: r.result }).toEqual({ status: 403, code: 4030, result: null });
      expect(r.message).toContain("personal");
    }
    expect(await usageOf(a.store)).toBeNull();
  });

  it("lets the account in once the operator raises its plan", async () => {
    const a = await account("free");
    await s.services.stores.set(a.store, { plan: "personal" });
    expect((await a.call("validate", { stampIdx: 999 })).code).toBe(2001);
  });

  it.each([
    ["personal", 120],
    ["premium", 200],
    ["business", 380],
    ["business_plus", 380],
    ["enterprise", 380],
  ] as const)("%s: the spec's per-minute limit (tightest window) in the headers", async (plan, perMinute) => {
    await withinOneMinute();
    const a = await account(plan);
    const r = await a.call("validate", { stampIdx: 999 });
    expect(r.code).toBe(2001);
    expect(rate(r)).toEqual({ limit: String(perMinute), remaining: String(perMinute - 1), reset: String(nextMinute()), retryAfter: null });
    expect(await usageOf(a.store)).toMatchObject({ minuteCalls: 1, hourCalls: 1, dayCalls: 1 });
    expect(PLAN_LIMITS[plan].minute).toBe(perMinute);
  });
});

describe("4290: rate limits", () => {
  it("answers 429 past the per-minute limit with Retry-After and X-RateLimit-*, and does not count the refused calls", async () => {
    await withinOneMinute();
    const a = await account("personal", { limitMinute: 3 });
    const answers: StampAnswer[] = [];
    for (let i = 0; i < 5; i++) answers.push(await a.call("validate", { stampIdx: 999 }));
    expect(answers.map((r) => [r.status, r.code])).toEqual([
      [200, 2001],
      [200, 2001],
      [200, 2001],
      [429, 4290],
      [429, 4290],
    ]);
    expect(answers.slice(0, 3).map((r) => rate(r).remaining)).toEqual(["2", "1", "0"]);
    const refused = answers[3]!;
    expect(refused.result).toBeNull();
    expect(rate(refused)).toMatchObject({ limit: "3", remaining: "0", reset: String(nextMinute()) });
    const retryAfter = Number(rate(refused).retryAfter);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Math.abs(Date.now() / 1000 + retryAfter - nextMinute())).toBeLessThanOrEqual(2);
    expect(await usageOf(a.store)).toMatchObject({ minuteCalls: 3, hourCalls: 3, dayCalls: 3, lastAllowed: false });
  });

  it("counts calls with bad parameters, not calls with a bad key", async () => {
    await withinOneMinute();
    const a = await account("personal", { limitMinute: 2 });
    expect((await a.call("validate", {})).code).toBe(1000);
    expect((await a.call("validate", {}, { authorization: "APIKey ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ" })).code).toBe(4010);
    expect((await a.call("validate", { stampIdx: 999 })).code).toBe(2001);
    const over = await a.call("validate", { stampIdx: "bad" });
    expect([over.status, over.code]).toEqual([429, 4290]);
  });

  it("reports the tightest window: here the hour", async () => {
    await withinOneMinute();
    const a = await account("personal", { limitHour: 4 });
    const first = await a.call("validate", { stampIdx: 999 });
    expect(rate(first)).toMatchObject({ limit: "4", remaining: "3" });
    for (let i = 0; i < 3; i++) await a.call("validate", { stampIdx: 999 });
    const refused = await a.call("validate", { stampIdx: 999 });
    expect([refused.status, rate(refused).limit, rate(refused).remaining]).toEqual([429, "4", "0"]);
    expect(Number(rate(refused).reset) % 3600).toBe(0);
  });

  it("per day: refuses until midnight in the server's time zone", async () => {
    const a = await account("personal", { limitDay: 2 });
    await a.call("validate", { stampIdx: 999 });
    await a.call("validate", { stampIdx: 999 });
    const refused = await a.call("validate", { stampIdx: 999 });
    expect(refused.status).toBe(429);
    const midnight = Date.parse(`${dayFromToday(1, s.config.TIME_ZONE)}T00:00:00+09:00`) / 1000;
    expect(rate(refused)).toMatchObject({ limit: "2", remaining: "0", reset: String(midnight) });
    expect(Math.abs(Date.now() / 1000 + Number(rate(refused).retryAfter) - midnight)).toBeLessThanOrEqual(2);
  });

  it("a plan change or new overrides apply to the next call", async () => {
    await withinOneMinute();
    const a = await account("personal", { limitMinute: 1 });
    expect((await a.call("validate", { stampIdx: 999 })).code).toBe(2001);
    expect((await a.call("validate", { stampIdx: 999 })).code).toBe(4290);
    await s.services.stores.set(a.store, { limitMinute: null });
    const r = await a.call("validate", { stampIdx: 999 });
    expect([r.code, rate(r).limit, rate(r).remaining]).toEqual([2001, "120", "118"]);
  });

  it.runIf(process.env.DATABASE_URL)("is exact across server instances sharing the database", async () => {
    await withinOneMinute(15);
    const a = await account("personal", { limitMinute: 10 });
    const second: RunningServer = await startServer(
      loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", ...s.database.env, DB_POOL_SIZE: "16" }),
    );
    try {
      const other = stampClient(second, a.key);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a.call : other)("validate", { stampIdx: 999 })));
      expect(answers.filter((r) => r.code === 2001)).toHaveLength(10);
      expect(answers.filter((r) => r.status === 429)).toHaveLength(20);
      expect(await usageOf(a.store)).toMatchObject({ minuteCalls: 10 });
    } finally {
      await second.close();
    }
  });
});

describe("window edges, on a pinned clock", () => {
  async function attempt(service: StampService, key: string) {
    try {
      return { ok: true, rate: (await service.validate(key, 999)).rate };
    } catch (err) {
      if (!(err instanceof StampError)) throw err;
      return { ok: err.reason !== "rate_limited", reason: err.reason, rate: err.rate };
    }
  }

  it("a new minute starts at :00; a refused call at :59 is told to retry in one second", async () => {
    const a = await account("personal", { limitMinute: 3, limitHour: 10 });
    const { clock, service } = pinnedStampService(s);
    clock.now = new Date("2030-03-10T03:15:59.200Z");
    for (let i = 0; i < 3; i++) expect((await attempt(service, a.key)).ok).toBe(true);
    const refused = await attempt(service, a.key);
    expect(refused).toMatchObject({
      ok: false,
      reason: "rate_limited",
      rate: { limit: 3, remaining: 0, retryAfter: 1, resetsAt: Date.parse("2030-03-10T03:16:00Z") / 1000 },
    });

    clock.now = new Date("2030-03-10T03:15:59.999Z");
    expect((await attempt(service, a.key)).ok).toBe(false);

    clock.now = new Date("2030-03-10T03:16:00.000Z");
    const next = await attempt(service, a.key);
    expect(next).toMatchObject({ ok: true, reason: "stamp_not_found", rate: { limit: 3, remaining: 2 } });
    expect(await usageOf(a.store)).toMatchObject({ minuteCalls: 1, hourCalls: 4, minuteStart: new Date("2030-03-10T03:16:00Z") });
  });

  it("a call stamped a moment earlier by a lagging instance counts in the current window, never reopens the old one", async () => {
    const a = await account("personal", { limitMinute: 2 });
    const { clock, service } = pinnedStampService(s);
    clock.now = new Date("2030-03-10T03:20:00.100Z");
    expect((await attempt(service, a.key)).ok).toBe(true);
    clock.now = new Date("2030-03-10T03:19:59.900Z");
    expect((await attempt(service, a.key)).ok).toBe(true);
    expect((await attempt(service, a.key)).ok).toBe(false);
    expect(await usageOf(a.store)).toMatchObject({ minuteCalls: 2, minuteStart: new Date("2030-03-10T03:20:00Z") });
  });

  it("the hour and the day roll over at their edges, the day at midnight in the time zone", async () => {
    const a = await account("personal", { limitHour: 2, limitDay: 3 });
    const { clock, service } = pinnedStampService(s);
    // 23:59:59 in Seoul is 14:59:59 UTC.
    clock.now = new Date("2030-03-10T14:59:58.000Z");
    expect((await attempt(service, a.key)).ok).toBe(true);
    clock.now = new Date("2030-03-10T14:59:59.000Z");
    expect((await attempt(service, a.key)).ok).toBe(true);
    expect(await attempt(service, a.key)).toMatchObject({ ok: false, rate: { limit: 2, retryAfter: 1 } });
    clock.now = new Date("2030-03-10T15:00:00.000Z");
    const nextHour = await attempt(service, a.key);
    expect(nextHour).toMatchObject({ ok: true, rate: { limit: 2, remaining: 1 } });
    expect(await usageOf(a.store)).toMatchObject({ hourCalls: 1, dayCalls: 1, dayStart: new Date("2030-03-10T15:00:00Z") });
  });

  it("a refused day leaves the minute and hour uncounted", async () => {
    const a = await account("personal", { limitDay: 1 });
    const { clock, service } = pinnedStampService(s);
    clock.now = new Date("2030-04-01T01:00:00Z");
    expect((await attempt(service, a.key)).ok).toBe(true);
    clock.now = new Date("2030-04-01T02:00:00Z");
    expect(await attempt(service, a.key)).toMatchObject({ ok: false, rate: { limit: 1, remaining: 0 } });
    expect(await usageOf(a.store)).toMatchObject({ minuteCalls: 0, hourCalls: 0, dayCalls: 1 });
  });
});
