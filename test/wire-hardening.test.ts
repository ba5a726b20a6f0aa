// Issue 13, "Bad input and wire compatibility" and HEAD: every door answers bad input its own way
// and never writes through a request that is not meant to write. Real HTTP, on the embedded
// database or on PostgreSQL when DATABASE_URL is set.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/platform/config.js";
import { stampd } from "./support/cli.js";
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

describe("NUL bytes, the year 0000 and ids beyond 2^31-1 are bad input, never a 500 (item 12)", () => {
  const admin = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${s.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
  };

  it("OPEN API: INVALID_PARAM naming the parameter, and nothing saved", async () => {
    const { base } = await openStore();
    const saved = await s.form("/api/open/save", { ...base, number: "010-6200-0001", count: 1 });
    const [entry] = (await s.form("/api/open/history", { ...base, number: "010-6200-0001" })).list;
    const refusals: [Record<string, string | number>, string][] = [
      [{ number: "010-6200-0002\0", count: 1 }, "INVALID_PARAM (number)"],
      [{ number: "010-6200-0002", count: 1, idempotency_key: "k\0" }, "INVALID_PARAM (idempotency_key)"],
      [{ number: "010-6200-0002", count: 1, note: "\0" }, "INVALID_PARAM (note)"],
      [{ type: "no", number: "2147483648", count: 1 }, "INVALID_PARAM (number)"],
      [{ type: "no", number: "0x1", count: 1 }, "INVALID_PARAM (number)"],
      [{ type: "no", number: "1e0", count: 1 }, "INVALID_PARAM (number)"],
      [{ number: "010-6200-0002", count: "2147483648" }, "INVALID_COUNT"],
      [{ number: "010-6200-0002", count: "0x2" }, "INVALID_COUNT"],
    ];
    for (const [params, expected] of refusals) {
      const r = await s.json("/api/open/save", { ...base, ...params });
      expect(`${r.code}${/\((\w+)\)/.exec(r.msg)?.[0].replace(/^/, " ") ?? ""}`, JSON.stringify(params)).toBe(expected);
    }
    for (const history_id of ["2147483648", "0x1", `${entry.id}e0`]) {
      const r = await s.form("/api/open/cancel", { ...base, number: "010-6200-0001", history_id });
      expect(r, history_id).toMatchObject({ code: "INVALID_PARAM", msg: expect.stringContaining("(history_id)") });
    }
    expect(await s.form("/api/open/save", { ...base, id: "2147483648", number: "010-6200-0002", count: 1 })).toMatchObject({
      code: "AUTH_FAILED",
    });
    expect(await s.form("/api/open/balance", { ...base, number: "010-6200-0001" })).toMatchObject({ total_count: saved.total_point });
    expect(await s.form("/api/open/balance", { ...base, number: "010-6200-0002" })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
  });

  it("stamp API: 1000 naming the parameter, and nothing changed", async () => {
    const { call, cardIdx } = await stampStore();
    const created = await call("create", { cardIdx, ...period(), userNm: "Kim" });
    expect(created.code).toBe(0);
    const stampIdx = Number(created.result);
    const refusals: [string, Record<string, unknown>, string][] = [
      ["create", { cardIdx, ...period(), userNm: "a\0b" }, "userNm"],
      ["create", { cardIdx, ...period(), memo: "\0" }, "memo"],
      ["create", { cardIdx, ...period(), userEtc1: ["\0"] }, "userEtc1"],
      ["create", { cardIdx, strtYmd: "0000-01-01", endYmd: period().endYmd }, "strtYmd"],
      ["create", { cardIdx: "1e0", ...period() }, "cardIdx"],
      ["create", { cardIdx: "0x1", ...period() }, "cardIdx"],
      ["create", { cardIdx: 2147483648, ...period() }, "cardIdx"],
      ["update", { stampIdx, userNm: "x\0" }, "userNm"],
      ["update", { stampIdx, strtYmd: "0000-12-31" }, "strtYmd"],
      ["add", { stampIdx: "2147483648" }, "stampIdx"],
      ["add", { stampIdx: `0x${stampIdx.toString(16)}` }, "stampIdx"],
    ];
    for (const [endpoint, params, name] of refusals) {
      const r = await call(endpoint, params as Record<string, string | number>);
      expect({ status: r.status, code: r.code }, `${endpoint} ${JSON.stringify(params)}`).toEqual({ status: 400, code: 1000 });
      expect(r.message).toContain(name);
    }
    const stamp = (await call("validate", { stampIdx })).result;
    expect(stamp).toMatchObject({ stamps: 0, userNm: "Kim", memo: null, strtYmd: period().strtYmd });
    // The year 1 is a date PostgreSQL holds.
    expect((await call("update", { stampIdx, strtYmd: "0001-01-01" })).code).toBe(0);
  });

  it("admin API: 400 naming the field, and nothing changed; ids are decimal only", async () => {
    const store = await s.services.stores.create({ name: "Original" });
    const hex = `0x${store.id.toString(16)}`;
    for (const path of [`/admin/stores/${hex}`, `/admin/stores/${store.id}e0`, "/admin/stores/2147483648", "/admin/stores/99999999999"]) {
      const r = await admin("PATCH", path, { name: "Changed" });
      expect(r.status, path).toBe(400);
      expect(r.body.error).toBe("INVALID_ARGUMENT");
    }
    const nul = await admin("PATCH", `/admin/stores/${store.id}`, { name: "Chan\0ged" });
    expect(nul).toEqual({ status: 400, body: { error: "INVALID_ARGUMENT", message: "name: must not contain a NUL character" } });
    for (const [path, body, field] of [
      ["/admin/stores", { name: "N\0" }, "name"],
      ["/admin/stores", { name: "N", dailyLimit: "1e3" }, "dailyLimit"],
      ["/admin/cards", { store: store.id, name: "C", title: "T", maxStamps: "0x5" }, "maxStamps"],
      ["/admin/api-keys", { store: 2147483648 }, "store"],
    ] as const) {
      const r = await admin("POST", path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.message).toMatch(new RegExp(`^${field}: `));
    }
    expect((await admin("GET", `/admin/cards?store=${hex}`)).status).toBe(400);
    const stores = await s.services.stores.list();
    expect(stores.find((x) => x.id === store.id)?.name).toBe("Original");
    expect(stores.map((x) => x.name)).not.toContain("N");
  });

  it("command line: exit 2 with one line, and nothing changed; ids are decimal only", async () => {
    const store = await s.services.stores.create({ name: "Original CLI" });
    for (const args of [
      ["store", "set", "--id", `0x${store.id.toString(16)}`, "--name", "Changed"],
      ["store", "set", "--id", `${store.id}e0`, "--name", "Changed"],
      ["store", "set", "--id", "2147483648", "--name", "Changed"],
      ["store", "set", "--id", String(store.id), "--daily-limit", "1e3"],
      ["card", "create", "--store", String(store.id), "--name", "C", "--title", "T", "--max-stamps", "0x5"],
    ]) {
      const r = await stampd(args, s.database.env);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^stampd: --[a-z-]+: must be a whole number from 1 to \d+\n$/);
    }
    const after = (await s.services.stores.list()).find((x) => x.id === store.id);
    expect(after).toMatchObject({ name: "Original CLI", daily_limit: 10_000 });
    expect(await s.services.cards.list(store.id)).toEqual([]);
  });
});

describe("phone numbers (item 11)", () => {
  const saveFor = async (server: TestServer, base: Record<string, string>, number: string) =>
    server.form("/api/open/save", { ...base, number, count: 1 });

  it("refuse a number outside PHONE_REGION, and letters or stray characters, and register no one", async () => {
    const { base } = await openStore();
    for (const number of [
      "+1 650-253-0000",
      "+44 7911 123456",
      "010-6300-0001x",
      "010-6300-0001 ext. 99",
      "010-6300-0001;",
      "010*6300*0001",
    ]) {
      expect(await saveFor(s, base, number), number).toEqual({
        result: false,
        code: "INVALID_PHONE",
        msg: "휴대폰 번호가 올바르지 않습니다",
      });
    }
    expect(await s.form("/api/open/balance", { ...base, number: "010-6300-0001" })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
    // What the spec lets a number carry is still one customer.
    for (const number of ["010-6300-0001", " (010) 6300.0001 ", "+82 10-6300-0001"]) {
      expect(await saveFor(s, base, number), number).toMatchObject({ result: true });
    }
    expect(await s.form("/api/open/balance", { ...base, number: "01063000001" })).toMatchObject({ total_count: 3 });
  });

  it("take foreign mobile numbers when the operator allows them (PHONE_FOREIGN=true)", async () => {
    expect(loadConfig({}).PHONE_FOREIGN).toBe(false);
    expect(() => loadConfig({ PHONE_FOREIGN: "maybe" })).toThrow(/PHONE_FOREIGN/);
    const open = await startTestServer({ PHONE_FOREIGN: "true" });
    try {
      const store = await open.services.stores.create({ name: "Airport" });
      const base = { id: String(store.id), auth_code: store.auth_code, device: "openapi" };
      expect(await saveFor(open, base, "+44 7911 123456")).toMatchObject({ result: true, total_point: 1 });
      expect(await saveFor(open, base, "+447911123456")).toMatchObject({ result: true, total_point: 2 });
      expect(await saveFor(open, base, "010-6300-0002")).toMatchObject({ result: true, total_point: 1 });
      // Still mobile numbers only, and still no stray characters.
      expect(await saveFor(open, base, "+44 20 7946 0000")).toMatchObject({ code: "INVALID_PHONE" });
      expect(await saveFor(open, base, "+44 7911 123456 ext. 9")).toMatchObject({ code: "INVALID_PHONE" });
    } finally {
      await open.stop();
    }
  });
});

describe("Vivoldi wire compatibility (item 14)", () => {
  it("create answers the new stampIdx as a JSON string of digits, and every endpoint takes it as a string or a number", async () => {
    const { key, call, cardIdx } = await stampStore();
    const res = await fetch(`${s.url}/api/stamp/v1/create`, {
      method: "POST",
      headers: { authorization: `APIKey ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ cardIdx: String(cardIdx), ...period() }),
    });
    const text = await res.text();
    expect(text).toMatch(/^\{"code":0,"message":"","result":"\d+"\}$/);
    const stampIdx: string = JSON.parse(text).result;
    expect((await call("add", { stampIdx })).code).toBe(0);
    expect((await call("add", { stampIdx: Number(stampIdx) })).code).toBe(0);
    expect((await call("validate", { stampIdx })).result).toMatchObject({ stampIdx: Number(stampIdx), stamps: 2 });
    const doc = await (await fetch(`${s.url}/docs/json`)).json();
    const created = doc.paths["/api/stamp/v1/create"].post.responses["200"].content["application/json"].schema;
    expect(JSON.stringify(created)).toMatch(/"result":\{[^}]*"type":"string"/);
  });

  it("keeps userPhnno as given: it is not a phone number the server checks", async () => {
    const { call, cardIdx } = await stampStore();
    for (const userPhnno of ["+1 123-4567-8900", "ask at the counter"]) {
      const created = await call("create", { cardIdx, ...period(), userPhnno });
      expect(created.code, userPhnno).toBe(0);
      expect((await call("validate", { stampIdx: created.result })).result.userPhnno).toBe(userPhnno);
    }
  });

  it("the docs' webhook verifier answers false, never throws, on a signature that is not ASCII", async () => {
    // @ts-expect-error: the example is plain JavaScript, for receivers to copy.
    const { verifyWebhook } = await import("../docs/webhook-receiver.mjs");
    const body = Buffer.from('{"a":1}');
    const now = Date.now();
    const base = { "x-vivoldi-timestamp": String(now), "x-content-sha256": createHash("sha256").update(body).digest("hex") };
    const hex = "0".repeat(63);
    for (const v1 of [`${hex}é`, "é".repeat(64), "\u{1F600}".repeat(32)]) {
      const headers = { ...base, "x-vivoldi-signature": `t=${now},v1=${v1},alg=hmac-sha256` };
      expect(() => verifyWebhook(headers, body, "secret", now), v1).not.toThrow();
      expect(verifyWebhook(headers, body, "secret", now)).toBe(false);
    }
    const sha = {
      ...base,
      "x-content-sha256": `${base["x-content-sha256"].slice(1)}é`,
      "x-vivoldi-signature": `t=${now},v1=${hex}0,alg=hmac-sha256`,
    };
    expect(verifyWebhook(sha, body, "secret", now)).toBe(false);
  });
});
