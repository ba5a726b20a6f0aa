// Logs and secrets (operations.md): one JSON line per request with its request id; auth_code,
// Authorization, API keys, PINs and passwords never appear, phone numbers only masked. Read from
// the real output of `stampd serve` at its most talkative level, after requests carrying them all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";

const ADMIN_TOKEN = "admin-token-never-logged-7f3a";
const WRONG_TOKEN = "wrong-token-never-logged-91c2";
const API_KEY = "apikey-never-logged-5d8e";
const PIN = "482913";
const PASSWORD = "onsite-password-never-logged";
const PHONE = { digits: "01024681357", dashed: "010-2468-1357", e164: "+821024681357", masked: "010****1357" };

let server: ServerProcess;
let authCode: string;
let output: string;
let lines: any[];
const requests: { id: string; status: number }[] = [];

async function send(path: string, init: RequestInit = {}): Promise<void> {
  const res = await fetch(`${server.url}${path}`, init);
  await res.arrayBuffer();
  requests.push({ id: res.headers.get("x-request-id")!, status: res.status });
}

beforeAll(async () => {
  server = await spawnServer({ LOG_LEVEL: "trace", ADMIN_TOKEN, TRUST_PROXY: "127.0.0.1" });
  const created = await fetch(`${server.url}/admin/stores`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Cafe" }),
  });
  requests.push({ id: created.headers.get("x-request-id")!, status: created.status });
  const store = (await created.json()) as { id: number; auth_code: string };
  authCode = store.auth_code;
  const creds = { id: String(store.id), auth_code: authCode, device: "openapi" };
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const json = { "content-type": "application/json" };

  await send(`/api/open/balance?${new URLSearchParams({ ...creds, number: PHONE.dashed })}`, {
    headers: { "x-forwarded-for": "203.0.113.7" },
  });
  await send(`/api/open/history?${new URLSearchParams({ ...creds, number: PHONE.digits })}`);
  await send(`/api/open/save?${new URLSearchParams({ ...creds, number: PHONE.e164, count: "1" })}`);
  await send("/api/open/save", {
    method: "POST",
    headers: form,
    body: new URLSearchParams({ ...creds, number: PHONE.dashed, count: "2" }).toString(),
  });
  await send("/api/open/use", { method: "POST", headers: json, body: JSON.stringify({ ...creds, number: PHONE.digits, count: 1 }) });
  await send("/api/open/save", {
    method: "POST",
    headers: json,
    body: `{"auth_code":"${authCode}","number":"${PHONE.dashed}","password":"${PASSWORD}" oops`,
  });
  await send("/admin/stores", { method: "POST", headers: { authorization: `Bearer ${WRONG_TOKEN}`, ...json }, body: "{}" });
  await send("/admin/stores", {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...json },
    body: `{"name": "x", "password": "${PASSWORD}"`,
  });
  await send(`/api/stamp/v1/validate?stampIdx=1&key=${API_KEY}&apikey=${API_KEY}`, { headers: { authorization: `APIKey ${API_KEY}` } });
  await send(`/stamp/abc?pin=${PIN}&onsitePwd=${PASSWORD}&password=${PASSWORD}&userPhnno=${PHONE.dashed}`);
  await send("/stamp/abc", { method: "POST", headers: form, body: new URLSearchParams({ pin: PIN, onsitePwd: PASSWORD }).toString() });

  expect(await server.signal("SIGTERM")).toBe(0);
  output = server.stdout();
  lines = output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}, SLOW_START_MS + 30_000);
afterAll(() => server?.cleanup());

describe("the server's log", () => {
  it("has one JSON line per request, with its request id, route, status and time", () => {
    const requestLines = lines.filter((l) => l.msg === "request");
    expect(requestLines.map((l) => l.reqId).sort()).toEqual(requests.map((r) => r.id).sort());
    for (const r of requests) {
      expect(requestLines.find((l) => l.reqId === r.id)).toMatchObject({
        statusCode: r.status,
        method: expect.any(String),
        responseTime: expect.any(Number),
      });
    }
  });

  it("never holds an auth_code, a bearer token, an API key, a PIN or a password", () => {
    for (const secret of [authCode, ADMIN_TOKEN, WRONG_TOKEN, API_KEY, PIN, PASSWORD]) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(encodeURIComponent(secret));
    }
    // The log lines only: the first start's banner shows a ready curl line with its API key header.
    expect(
      lines
        .map((l) => JSON.stringify(l))
        .join("\n")
        .toLowerCase(),
    ).not.toContain("authorization");
  });

  it("shows phone numbers only masked", () => {
    for (const form of [PHONE.digits, PHONE.dashed, PHONE.e164, encodeURIComponent(PHONE.e164), "2468-1357", "24681357"]) {
      expect(output).not.toContain(form);
    }
    const balance = lines.find((l) => l.route === "/api/open/balance");
    expect(balance.url).toContain(`number=${PHONE.masked}`);
  });

  it("names the client behind a trusted load balancer", () => {
    const balance = lines.find((l) => l.route === "/api/open/balance");
    expect(balance.remoteAddress).toBe("203.0.113.7");
    expect(lines.find((l) => l.route === "/api/open/history").remoteAddress).toBe("127.0.0.1");
  });
});
