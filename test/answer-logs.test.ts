// Issue 13, item 17: OPEN API refusals are HTTP 200 like successes, so every OPEN API and stamp API
// request's log line names the store and the answer's code, and /metrics counts answers by API and
// code. Read from the real output of `stampd serve`, on the embedded database or on PostgreSQL
// when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";

const ADMIN_TOKEN = "admin-token-for-answer-logs";
let server: ServerProcess;
let storeId: number;
let metrics: string;
/** Each request's log line, by the request id it was answered with. */
const lineOf = new Map<string, any>();
const sent: Record<string, string> = {};

async function send(name: string, path: string, init: RequestInit = {}): Promise<any> {
  const res = await fetch(`${server.url}${path}`, init);
  sent[name] = res.headers.get("x-request-id")!;
  return res.json();
}

async function admin(path: string, body: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  server = await spawnServer({ ADMIN_TOKEN });
  const store = await admin("/admin/stores", { name: "Cafe" });
  storeId = store.id;
  const { key } = await admin("/admin/api-keys", { store: storeId, plan: "personal" });
  const { cardIdx } = await admin("/admin/cards", { store: storeId, name: "A", title: "t", maxStamps: 5 });
  const creds = { id: String(storeId), auth_code: store.auth_code, device: "openapi", number: "010-6500-0001" };
  const q = (p: Record<string, string>) => new URLSearchParams(p).toString();
  const stamp = { authorization: `APIKey ${key}`, "content-type": "application/json" };

  expect(await send("saved", `/api/open/save?${q({ ...creds, count: "2" })}`)).toMatchObject({ result: true });
  expect(await send("saved again", `/api/open/save?${q({ ...creds, count: "1" })}`)).toMatchObject({ result: true });
  expect(await send("too much", `/api/open/use?${q({ ...creds, count: "9" })}`)).toMatchObject({ code: "INSUFFICIENT_BALANCE" });
  expect(await send("wrong code", `/api/open/balance?${q({ ...creds, auth_code: "wrong" })}`)).toMatchObject({ code: "AUTH_FAILED" });
  expect(
    await send("bad json", "/api/open/save", { method: "POST", headers: { "content-type": "application/json" }, body: "{" }),
  ).toMatchObject({ code: "INVALID_PARAM" });
  const today = new Date().toISOString().slice(0, 10);
  const created = await send("created", "/api/stamp/v1/create", {
    method: "POST",
    headers: stamp,
    body: JSON.stringify({ cardIdx, strtYmd: today, endYmd: `${Number(today.slice(0, 4)) + 1}-12-31` }),
  });
  expect(created).toMatchObject({ code: 0 });
  expect(await send("not found", "/api/stamp/v1/validate?stampIdx=999999", { headers: stamp })).toMatchObject({ code: 2001 });
  expect(await send("bad param", "/api/stamp/v1/validate?stampIdx=x", { headers: stamp })).toMatchObject({ code: 1000 });
  expect(
    await send("bad key", "/api/stamp/v1/validate?stampIdx=1", { headers: { authorization: "APIKey wrong-key-0123456789" } }),
  ).toMatchObject({ code: 4010 });
  await send("health", "/healthz");
  metrics = await (await fetch(`${server.url}/metrics`)).text();

  expect(await server.signal("SIGTERM")).toBe(0);
  for (const line of server.stdout().split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line);
    if (entry.msg === "request") lineOf.set(entry.reqId, entry);
  }
}, SLOW_START_MS + 30_000);
afterAll(() => server?.cleanup());

describe("request log lines", () => {
  it.each([
    ["saved", "OK", true],
    ["too much", "INSUFFICIENT_BALANCE", true],
    ["wrong code", "AUTH_FAILED", true],
    ["bad json", "INVALID_PARAM", false],
    ["created", "0", true],
    ["not found", "2001", true],
    ["bad param", "1000", true],
    ["bad key", "4010", false],
  ])("of %s carry the store and the answer's code %s", (name, code, storeKnown) => {
    const line = lineOf.get(sent[name]!);
    expect(line).toMatchObject({ code, storeId: storeKnown ? storeId : null });
  });

  it("of other requests carry neither", () => {
    const line = lineOf.get(sent.health!);
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty("code");
    expect(line).not.toHaveProperty("storeId");
  });
});

describe("/metrics", () => {
  it("counts answers by API and code", () => {
    const value = (series: string) =>
      Number(
        metrics
          .split("\n")
          .find((l) => l.startsWith(`${series} `))
          ?.split(" ")[1] ?? 0,
      );
    expect(value('stampd_api_answers_total{api="open",code="OK"}')).toBe(2);
    expect(value('stampd_api_answers_total{api="open",code="INSUFFICIENT_BALANCE"}')).toBe(1);
    expect(value('stampd_api_answers_total{api="open",code="AUTH_FAILED"}')).toBe(1);
    expect(value('stampd_api_answers_total{api="open",code="INVALID_PARAM"}')).toBe(1);
    expect(value('stampd_api_answers_total{api="stamp",code="0"}')).toBe(1);
    expect(value('stampd_api_answers_total{api="stamp",code="2001"}')).toBe(1);
    expect(value('stampd_api_answers_total{api="stamp",code="1000"}')).toBe(1);
    expect(value('stampd_api_answers_total{api="stamp",code="4010"}')).toBe(1);
  });
});
