// Hardening (issue 8): a request body size limit, the timeouts of fastify/demo's server, security
// headers on every answer, and a trustProxy setting an operator can aim at the load balancer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/platform/config.js";
import { startTestServer, type TestServer } from "./support/server.js";

const ADMIN_TOKEN = "admin-token-for-hardening-1";
let s: TestServer;
let store: { id: number; auth_code: string };

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN, BODY_LIMIT: "2048" });
  store = await s.services.stores.create({ name: "Cafe" });
});
afterAll(() => s?.stop());

describe("body size limit (BODY_LIMIT)", () => {
  const big = "x".repeat(4096);

  it("answers an OPEN API body over the limit the API's way, and saves nothing", async () => {
    const r = await s.form("/api/open/save", {
      id: store.id,
      auth_code: store.auth_code,
      device: "openapi",
      number: "010-5555-0001",
      count: 1,
      pad: big,
    });
    expect(r).toMatchObject({ result: false, code: "INVALID_PARAM" });
    const balance = await s.form("/api/open/balance", {
      id: store.id,
      auth_code: store.auth_code,
      device: "openapi",
      number: "010-5555-0001",
    });
    expect(balance).toMatchObject({ result: false, code: "MEMBER_NOT_FOUND" });
  });

  it("answers an admin body over the limit with 413, and creates nothing", async () => {
    const before = await s.services.stores.list();
    const res = await fetch(`${s.url}/admin/stores`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Big", branch: big }),
    });
    expect(res.status).toBe(413);
    expect(await s.services.stores.list()).toEqual(before);
  });
});

describe("security headers", () => {
  it.each(["/healthz", "/api/open/balance", "/admin/stores", "/docs", "/no-such-path"])("are on every answer: %s", async (path) => {
    const res = await fetch(`${s.url}${path}`);
    await res.arrayBuffer();
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    // Plain HTTP behind a TLS-terminating load balancer: requests must not be rewritten to https.
    expect(res.headers.get("content-security-policy")).not.toContain("upgrade-insecure-requests");
  });
});

describe("timeouts", () => {
  it("are those of fastify/demo's server", () => {
    expect(s.app.initialConfig.connectionTimeout).toBe(120_000);
    // Fastify sets requestTimeout in initialConfig but leaves it out of the type.
    expect((s.app.initialConfig as { requestTimeout?: number }).requestTimeout).toBe(60_000);
    expect(s.app.initialConfig.keepAliveTimeout).toBe(10_000);
    expect(s.app.server.headersTimeout).toBe(15_000);
    expect(s.app.server.requestTimeout).toBe(60_000);
    expect(s.app.server.keepAliveTimeout).toBe(10_000);
  });
});

describe("TRUST_PROXY", () => {
  it("is off by default, on with true, or limited to the load balancers' addresses", () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, 192.168.1.10,::1" }).TRUST_PROXY).toEqual(["10.0.0.0/8", "192.168.1.10", "::1"]);
  });

  it.each(["10.0.0.0/33", "lb.internal", "10.0.0.1,", "maybe"])("refuses %s with one line naming the variable", (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/^invalid configuration: TRUST_PROXY: /);
  });
});
