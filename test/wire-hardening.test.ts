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
