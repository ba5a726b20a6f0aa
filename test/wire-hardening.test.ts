// Issue 13, "Bad input and wire compatibility" and HEAD: every door answers bad input its own way
// and never writes through a request that is not meant to write. Real HTTP, on the embedded
// database or on PostgreSQL when DATABASE_URL is set.
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type StampCall } from "./support/stamp-client.js";

const ADMIN_TOKEN = "admin-token-for-wire-hardening";
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN });
});
afterAll(() => s?.stop());

/** A new OPEN API store and the common parameters of its calls. */
async function openStore() {
  const store = await s.services.stores.create({ name: "Cafe" });
  return { store, base: { id: String(store.id), auth_code: store.auth_code, device: "openapi" } };
}

/** A new stamp API store with a key and a ten-stamp card. */
async function stampStore(): Promise<{ storeId: number; key: string; call: StampCall; cardIdx: number }> {
  const store = await s.services.stores.create({ name: "Stamps", plan: "personal" });
  const { key } = await s.services.apiKeys.create({ store: store.id, plan: "personal" });
  const { cardIdx } = await s.services.cards.create({ store: store.id, name: "Americano", title: "10 for 1", maxStamps: 10 });
  return { storeId: store.id, key, call: stampClient(s, key), cardIdx };
}

const period = () => ({ strtYmd: dayFromToday(-1, s.config.TIME_ZONE), endYmd: dayFromToday(30, s.config.TIME_ZONE) });

const query = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));

async function dailyCalls(storeId: number): Promise<number> {
  const rows = await s.db.prisma.dailyUsage.findMany({ where: { storeId } });
  return rows.reduce((n, r) => n + r.calls, 0);
}

describe("HEAD requests (item 6)", () => {
  it("never run an OPEN API call: nothing saved, used, moved, reversed or counted", async () => {
    const { store, base } = await openStore();
    const saved = await s.form("/api/open/save", { ...base, number: "010-6000-0001", count: 5 });
    expect(saved).toMatchObject({ result: true, total_point: 5 });
    const [entry] = (await s.form("/api/open/history", { ...base, number: "010-6000-0001" })).list;
    const callsBefore = await dailyCalls(store.id);
    const calls: [string, Record<string, string | number>][] = [
      ["save", { count: 1 }],
      ["use", { count: 1 }],
      ["transfer", { to_number: "010-6000-0002", count: 1 }],
      ["cancel", { history_id: entry.id }],
      ["balance", {}],
      ["history", {}],
    ];
    for (const [name, extra] of calls) {
      const res = await fetch(`${s.url}/api/open/${name}?${query({ ...base, number: "010-6000-0001", ...extra })}`, { method: "HEAD" });
      expect(res.status, name).toBe(404);
    }
    expect(await dailyCalls(store.id)).toBe(callsBefore);
    const after = await s.form("/api/open/history", { ...base, number: "010-6000-0001" });
    expect(after.list).toEqual([entry]);
    expect(await s.form("/api/open/balance", { ...base, number: "010-6000-0002" })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
  });

  it("never count a stamp API call", async () => {
    const { storeId, key, call, cardIdx } = await stampStore();
    const created = await call("create", { cardIdx, ...period() });
    const usage = () => s.db.prisma.rateUsage.findUnique({ where: { storeId } });
    const before = await usage();
    const res = await fetch(`${s.url}/api/stamp/v1/validate?stampIdx=${created.result}`, {
      method: "HEAD",
      headers: { authorization: `APIKey ${key}` },
    });
    expect(res.status).toBe(404);
    expect(await usage()).toEqual(before);
  });

  it("are answered by no API route (OPEN API, stamp API, admin API), only by pages and operations endpoints", async () => {
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, object> };
    const apiPaths = Object.keys(doc.paths).filter((p) => /^\/(api|admin)\//.test(p));
    expect(apiPaths.length).toBeGreaterThan(20);
    for (const path of apiPaths) {
      expect(s.app.hasRoute({ method: "HEAD", url: path.replace(/\{(\w+)\}/g, ":$1") }), path).toBe(false);
    }
    for (const path of ["/healthz", "/readyz", "/metrics", "/stamp/:code"])
      expect(s.app.hasRoute({ method: "HEAD", url: path }), path).toBe(true);
  });
});

describe("listen address (item 8)", () => {
  it("is loopback by default, so the quick start's demo secrets stay on this machine", async () => {
    expect(loadConfig({}).HOST).toBe("127.0.0.1");
    expect(loadConfig({}).publicBaseUrl).toBe("http://localhost:3000");
    expect(loadConfig({ HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
    // An empty HOST is "not set": the server listens on loopback only.
    const local = await startTestServer({ HOST: "" });
    try {
      expect((local.app.server.address() as AddressInfo).address).toBe("127.0.0.1");
    } finally {
      await local.stop();
    }
  });

  it("is every interface in the container only, where the Dockerfile says so", () => {
    expect(readFileSync(path.resolve(import.meta.dirname, "../Dockerfile"), "utf8")).toMatch(/^\s+HOST=0\.0\.0\.0 \\$/m);
    for (const file of ["README.md", "docs/operations.md"]) {
      expect(readFileSync(path.resolve(import.meta.dirname, "..", file), "utf8"), file).toMatch(/^\| `HOST` \| `127\.0\.0\.1` \|/m);
    }
    expect(readFileSync(path.resolve(import.meta.dirname, "../.env.example"), "utf8")).toMatch(/^HOST=127\.0\.0\.1$/m);
  });
});

describe("POST with the parameters in the query string and an empty body (item 9)", () => {
  // Python's requests.post(url, params=...) sends exactly this: Content-Length 0, no content type
  // (or the client's default JSON content type).
  const empties: [string, Record<string, string>][] = [
    ["no content type", {}],
    ["a JSON content type", { "content-type": "application/json" }],
    ["a JSON content type with a charset", { "content-type": "application/json; charset=utf-8" }],
    ["a form content type", { "content-type": "application/x-www-form-urlencoded" }],
  ];

  it.each(empties)("works on every OPEN API endpoint with %s", async (_, headers) => {
    const { base } = await openStore();
    const post = async (name: string, params: Record<string, string | number>) =>
      (await fetch(`${s.url}/api/open/${name}?${query({ ...base, ...params })}`, { method: "POST", headers })).json();
    const member = { number: "010-6100-0001" };
    expect(await post("save", { ...member, count: 5 })).toMatchObject({ result: true, total_point: 5 });
    expect(await post("use", { ...member, count: 1 })).toMatchObject({ result: true, total_point: 4 });
    expect(await post("transfer", { ...member, to_number: "010-6100-0002", count: 1 })).toMatchObject({ result: true, total_point: 3 });
    expect(await post("balance", member)).toMatchObject({ result: true, total_count: 3 });
    const history = await post("history", member);
    expect(history).toMatchObject({ result: true });
    expect(history.list).toHaveLength(3);
    const use = history.list.find((e: { content: string }) => e.content === "차감");
    expect(await post("cancel", { ...member, history_id: use.id })).toMatchObject({ result: true, total_point: 4 });
  });
});

describe("authentication first, and a refusal names the parameter (item 10)", () => {
  const get = async (params: string) => (await fetch(`${s.url}/api/open/save?${params}`)).json();

  it("answers AUTH_FAILED to an unknown store whatever else is wrong, and counts nothing", async () => {
    const { store, base } = await openStore();
    const wrongCode = `id=${store.id}&auth_code=wrong&device=openapi&number=01061000003`;
    for (const params of [
      "id=999999&auth_code=x&device=openapi&number=01061000003&count=1&count=2",
      `${wrongCode}&count=1&count=2`,
      `${wrongCode}&number=01061000004&count=1`,
      `${wrongCode}&device=nope&count=x`,
    ]) {
      expect(await get(params), params).toMatchObject({ result: false, code: "AUTH_FAILED" });
    }
    const json = await s.json("/api/open/save", { ...base, auth_code: "wrong", number: ["01061000003"], count: { n: 1 } });
    expect(json).toMatchObject({ result: false, code: "AUTH_FAILED" });
    expect(await dailyCalls(store.id)).toBe(0);
  });

  it("names the parameter given twice or not as one value, and counts the call", async () => {
    const { store, base } = await openStore();
    const q = query({ ...base, number: "01061000005" });
    expect(await get(`${q}&count=1&count=2`)).toEqual({ result: false, code: "INVALID_PARAM", msg: "요청 값이 올바르지 않습니다 (count)" });
    expect(await get(`${q}&device=openapi&count=1`)).toMatchObject({ code: "INVALID_PARAM", msg: expect.stringContaining("(device)") });
    expect(await s.json("/api/open/save", { ...base, number: { phone: "01061000005" }, count: 1 })).toMatchObject({
      code: "INVALID_PARAM",
      msg: expect.stringContaining("(number)"),
    });
    expect(await s.json("/api/open/history", { ...base, number: "01061000005", page: [1] })).toMatchObject({
      code: "INVALID_PARAM",
      msg: expect.stringContaining("(page)"),
    });
    const array = await (
      await fetch(`${s.url}/api/open/balance?${q}`, { method: "POST", headers: { "content-type": "application/json" }, body: "[1]" })
    ).json();
    expect(array).toMatchObject({ code: "INVALID_PARAM", msg: expect.stringContaining("(body)") });
    expect(await dailyCalls(store.id)).toBe(5);
    expect(await s.form("/api/open/balance", { ...base, number: "01061000005" })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
  });
});
