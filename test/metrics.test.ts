// GET /metrics (operations.md, "Operations endpoints"): Prometheus text with requests and latency
// per route pattern and status, ledger writes by kind, rate-limit rejections, the database pool
// and the process.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";

let s: TestServer;
let store: { id: number; auth_code: string };
const member = () => ({ id: store.id, auth_code: store.auth_code, device: "openapi", number: "010-3333-0001" });

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN: "admin-token-for-metrics-01" });
  store = await s.services.stores.create({ name: "Cafe" });
});
afterAll(() => s?.stop());

async function scrape(server = s): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series, 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("/metrics", () => {
  it("counts requests and their latency per route pattern and status, never per raw URL", async () => {
    for (let i = 0; i < 3; i++) await s.get("/api/open/balance", { ...member(), number: `010-3333-000${i}` });
    await fetch(`${s.url}/admin/stores/12345`, { method: "PATCH" });
    await fetch(`${s.url}/no/such/page?auth_code=secret`);
    const text = await scrape();
    expect(value(text, 'stampd_http_requests_total{method="GET",route="/api/open/balance",status="200"}')).toBe(3);
    expect(value(text, 'stampd_http_request_duration_seconds_count{method="GET",route="/api/open/balance",status="200"}')).toBe(3);
    expect(value(text, 'stampd_http_request_duration_seconds_sum{method="GET",route="/api/open/balance",status="200"}')).toBeGreaterThan(0);
    expect(value(text, 'stampd_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/open/balance",status="200"}')).toBe(
      3,
    );
    expect(value(text, 'stampd_http_requests_total{method="PATCH",route="/admin/stores/:id",status="401"}')).toBe(1);
    expect(value(text, 'stampd_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain("12345");
    expect(text).not.toContain("010-3333");
    expect(text).not.toContain("/no/such/page");
  });

  it("counts ledger writes by kind: only changes that were applied", async () => {
    const before = await scrape();
    await s.form("/api/open/save", { ...member(), count: 3 });
    await s.form("/api/open/save", { ...member(), count: 2 });
    await s.form("/api/open/use", { ...member(), count: 1 });
    const refused = await s.form("/api/open/use", { ...member(), count: 100 });
    expect(refused).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
    const after = await scrape();
    const writes = (kind: string, t: string) => value(t, `stampd_ledger_writes_total{kind="${kind}"}`);
    expect(writes("save", after) - writes("save", before)).toBe(2);
    expect(writes("use", after) - writes("use", before)).toBe(1);
  });

  it("counts calls refused by the daily limit", async () => {
    // A known member (saved at another store), whose balance the limited store may read.
    await s.form("/api/open/save", { ...member(), count: 1 });
    const limited = await s.services.stores.create({ name: "Kiosk", dailyLimit: 2 });
    const series = 'stampd_rate_limit_rejections_total{api="open"}';
    const before = value(await scrape(), series);
    const codes: string[] = [];
    for (const path of ["save", "balance", "balance", "balance", "balance"]) {
      const r = await s.form(`/api/open/${path}`, { ...member(), id: limited.id, auth_code: limited.auth_code, count: 1 });
      codes.push(r.result ? "ok" : r.code);
    }
    expect(codes).toEqual(["ok", "ok", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]);
    expect(value(await scrape(), series) - before).toBe(3);
  });

  it("shows the database pool and the process", async () => {
    const text = await scrape();
    expect(text).toMatch(/^stampd_db_pool_connections\{state="in_use"\} \d+$/m);
    expect(text).toMatch(/^stampd_db_pool_connections\{state="idle"\} \d+$/m);
    expect(text).toMatch(/^stampd_db_pool_waiting \d+$/m);
    expect(text).toMatch(/^stampd_ledger_batch_waiting \d+$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toContain("# TYPE stampd_webhook_deliveries_total counter");
  });

  it("keeps each server's figures apart when several run in one process", async () => {
    const other = await startTestServer();
    try {
      await other.get("/healthz");
      const mine = await scrape();
      const theirs = await scrape(other);
      expect(value(theirs, 'stampd_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(1);
      expect(value(mine, 'stampd_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(0);
      expect(value(theirs, 'stampd_http_requests_total{method="GET",route="/api/open/balance",status="200"}')).toBe(0);
    } finally {
      await other.stop();
    }
  });
});
