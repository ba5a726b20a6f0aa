// The admin HTTP API (operations.md, "Admin HTTP API"): the CLI's operations under /admin behind
// `Authorization: Bearer <ADMIN_TOKEN>`, refused without the right token, absent without ADMIN_TOKEN.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations, operationPath } from "../src/admin/operations.js";
import { readControlFile } from "../src/platform/db/embedded-lock.js";
import { startTestServer, type TestServer } from "./support/server.js";

const ADMIN_TOKEN = "admin-token-0123456789abcdef";

async function call(s: TestServer, method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${s.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe("with ADMIN_TOKEN set", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ ADMIN_TOKEN });
  });
  afterAll(() => s?.stop());

  it.each([
    ["no Authorization header", {}],
    ["a wrong token", { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ["a prefix of the token", { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ["the token under another scheme", { authorization: `Basic ${ADMIN_TOKEN}` }],
    ["an empty bearer", { authorization: "Bearer " }],
  ])("answers 401 with WWW-Authenticate to %s, and changes nothing", async (_, headers) => {
    const before = await s.services.stores.list();
    const res = await fetch(`${s.url}/admin/stores`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ name: "Intruder" }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(await res.json()).toEqual({ error: "UNAUTHORIZED", message: "missing or wrong bearer token" });
    expect(await s.services.stores.list()).toEqual(before);
  });

  it("refuses a wrong token before looking at the input", async () => {
    const r = await call(s, "PATCH", "/admin/stores/not-a-number", "wrong-token", { unit: "litre" });
    expect(r.status).toBe(401);
  });

  it("reaches every operation with the token", async () => {
    for (const op of operations) {
      // Path segments get an id no store has: the operation runs and answers, whatever it finds.
      const { path } = operationPath(op, Object.fromEntries([...op.path.matchAll(/:(\w+)/g)].map((m) => [m[1], 999_999])));
      const r = await call(s, op.method, path, ADMIN_TOKEN, op.method === "GET" ? undefined : {});
      expect(r.status, `${op.name}: ${JSON.stringify(r.body)}`).not.toBe(401);
      expect(r.body.message ?? "", op.name).not.toMatch(/^no route/);
      expect(r.status, op.name).toBeLessThan(500);
    }
  });

  it("runs the store operations end to end: the created store works on the OPEN API", async () => {
    const created = await call(s, "POST", "/admin/stores", ADMIN_TOKEN, { name: "Cafe", loginId: "cafe-admin", unit: "point" });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ id: expect.any(Number), login_id: "cafe-admin", auth_code: expect.any(String) });
    const { id, auth_code } = created.body;
    const save = await s.form("/api/open/save", { id, auth_code, device: "openapi", number: "010-2222-0001", count: 5 });
    expect(save).toMatchObject({ result: true, total_point: 5 });

    const listed = await call(s, "GET", "/admin/stores", ADMIN_TOKEN);
    expect(listed.body).toEqual(expect.arrayContaining([expect.objectContaining({ id, name: "Cafe" })]));
    expect(JSON.stringify(listed.body)).not.toContain(auth_code);

    const changed = await call(s, "PATCH", `/admin/stores/${id}`, ADMIN_TOKEN, { branch: "Gangnam", dailyLimit: 50 });
    expect(changed.body).toMatchObject({ id, place: "Gangnam", daily_limit: 50 });

    const rotated = await call(s, "POST", `/admin/stores/${id}/rotate-code`, ADMIN_TOKEN);
    expect(rotated.body.auth_code).not.toBe(auth_code);
    const old = await s.form("/api/open/balance", { id, auth_code, device: "openapi", number: "010-2222-0001" });
    expect(old).toMatchObject({ result: false, code: "AUTH_FAILED" });
    const now = await s.form("/api/open/balance", { id, auth_code: rotated.body.auth_code, device: "openapi", number: "010-2222-0001" });
    expect(now).toMatchObject({ result: true, total_count: 5 });

    const verify = await call(s, "GET", "/admin/verify", ADMIN_TOKEN);
    expect(verify.body).toMatchObject({ ok: true });
  });

  it("answers bad input with 400 naming the field, and writes nothing", async () => {
    const before = await s.services.stores.list();
    const r = await call(s, "POST", "/admin/stores", ADMIN_TOKEN, { name: "Bad", unit: "litre" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "INVALID_ARGUMENT", message: expect.stringMatching(/^unit: /) });
    expect(await s.services.stores.list()).toEqual(before);
  });

  it("answers an unknown store with 404 and a clash with 409", async () => {
    expect((await call(s, "POST", "/admin/stores/999999/rotate-code", ADMIN_TOKEN)).status).toBe(404);
    await call(s, "POST", "/admin/stores", ADMIN_TOKEN, { name: "One", loginId: "taken" });
    const clash = await call(s, "POST", "/admin/stores", ADMIN_TOKEN, { name: "Two", loginId: "taken" });
    expect(clash).toMatchObject({ status: 409, body: { error: "CONFLICT" } });
  });
});

describe("without ADMIN_TOKEN", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.stop());

  it("is absent: every admin path answers the server's ordinary 404, whatever the token", async () => {
    const before = await s.services.stores.list();
    for (const op of operations) {
      const { path } = operationPath(op, { id: 1 });
      for (const token of [undefined, "anything-at-all-0123456789"]) {
        const r = await call(s, op.method, path, token, op.method === "GET" ? undefined : {});
        expect(r.status, op.name).toBe(404);
        expect(r.body).toEqual({ error: "NOT_FOUND", message: `no route ${op.method} ${path}` });
        expect(r.headers.get("www-authenticate")).toBeNull();
      }
    }
    expect(await s.services.stores.list()).toEqual(before);
  });

  // On PostgreSQL the CLI opens the database itself: there is no control token.
  it.skipIf(process.env.DATABASE_URL)(
    "still serves the local CLI's control token when the server holds the embedded database",
    async () => {
      const control = readControlFile(s.config.DATA_DIR);
      expect(control).not.toBeNull();
      const r = await call(s, "GET", "/admin/stores", control!.token);
      expect(r.status).toBe(200);
      expect(r.body).toEqual(JSON.parse(JSON.stringify(await s.services.stores.list())));
    },
  );
});
