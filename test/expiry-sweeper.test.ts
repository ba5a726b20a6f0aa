// The expiry sweeper (shared/spec/expiry.md, "Expiry rule": "a sweeper expires accounts nobody
// touches (every instance runs it; each lot expires exactly once across instances)"), on the
// embedded database, or on PostgreSQL when DATABASE_URL is set. The servers' clocks are pinned:
// their sweepers bring accounts up to the same time as their ledger calls. Sweeps are run directly
// (`server.sweeper.sweep()`); the interval loop is tested on its own with a short interval.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { ConfigError, loadConfig } from "../src/platform/config.js";
import { ExpirySweeper, type SweeperOptions } from "../src/expiry/sweeper.js";
import { startTestServer, type TestServer, type TestServerOptions } from "./support/server.js";
import { until } from "./support/wait.js";

type Store = { id: number; auth_code: string; pool: number };

/** Every server's clock: its ledger calls and its sweeper's happen at `clock.now`. */
const clock = { now: new Date("2030-01-01T00:00:00Z") };
const at = (iso: string) => {
  clock.now = new Date(iso);
};
/** When a test makes its lots (the import's too: it runs at the server's clock). */
const START = "2030-01-01T03:00:00Z";
/** Far past every lot any test makes. */
const LONG_AFTER = "2040-01-01T00:00:00Z";
/** The servers' own interval: no sweep starts by itself during a test unless it sets a shorter one. */
const HOUR_S = "3600";
const DAY_MS = 86_400_000;

/** A sweeper of the test's own on a server's database, at the pinned clock, sweeping when told. */
const sweeperOn = (t: TestServer, options: Partial<SweeperOptions> = {}) =>
  new ExpirySweeper(t.db, { intervalMs: 0, clock: () => clock.now, log: { info: () => {}, error: () => {} }, ...options });

/** A server at the pinned clock, its sweeper sweeping only when told (unless `options` say otherwise). */
function server(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer({ EXPIRY_SWEEP_SECONDS: HOUR_S, ...env }, { clock: () => clock.now, webhookWorker: false, ...options });
}

let s: TestServer;
beforeAll(async () => {
  s = await server({ WEBHOOK_ALLOW_PRIVATE: "true" }, { expirySweeper: { firstLimit: 5 } });
});
afterAll(() => s?.stop());

const call = (t: TestServer, store: Store, path: string, params: Record<string, string | number>) =>
  t.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });

/** A point store whose pool has a period of `days`. */
const storeWithPeriod = (t: TestServer, days: number): Promise<Store> =>
  t.services.stores.create({ name: "Cafe", unit: "point", expiryDays: days, dailyLimit: 1_000_000 });

/** Imports `count` members with a balance of 1..50 each: one lot each, dated by the database's clock. */
async function importMembers(t: TestServer, store: Store, count: number, prefix: string): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `010-${prefix}-${String(i).padStart(4, "0")},${(i % 50) + 1}`);
  await t.services.imports.importMembers(store.id, Buffer.from(`phone,balance\n${lines.join("\n")}\n`), { dryRun: false });
}

/** What the ledger holds for a pool, read straight from the tables (a read through the API would expire by itself). */
async function poolState(t: TestServer, pool: number) {
  const [row] = await t.db.query<{
    accounts: number;
    balance: number;
    open_lots: number;
    expire_rows: number;
    expired: number;
    twice: number;
    lots_not_whole: number;
  }>(Prisma.sql`
    SELECT (SELECT count(*)::int FROM ledger_account a WHERE a.pool_id = ${pool}) AS accounts,
           (SELECT COALESCE(sum(a.balance), 0)::int FROM ledger_account a WHERE a.pool_id = ${pool}) AS balance,
           (SELECT count(*)::int FROM ledger_lot l JOIN ledger_account a ON a.id = l.account_id
             WHERE a.pool_id = ${pool} AND l.remaining > 0) AS open_lots,
           (SELECT count(*)::int FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
             WHERE a.pool_id = ${pool} AND e.kind = 'expire') AS expire_rows,
           (SELECT COALESCE(-sum(e.delta), 0)::int FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
             WHERE a.pool_id = ${pool} AND e.kind = 'expire') AS expired,
           -- An account and moment with more than one expire row: a lot expired twice.
           (SELECT count(*)::int FROM (SELECT 1 FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
             WHERE a.pool_id = ${pool} AND e.kind = 'expire' GROUP BY e.account_id, e.created_at HAVING count(*) > 1) d) AS twice,
           -- Lots emptied whose expired part is not what was left of them (nothing was spent here), or
           -- whose expire row is not their account's row of their end.
           (SELECT count(*)::int FROM ledger_lot l JOIN ledger_account a ON a.id = l.account_id
              LEFT JOIN ledger_entry e ON e.id = l.expired_by
             WHERE a.pool_id = ${pool} AND l.remaining = 0
               AND (l.expired <> l.amount OR e.account_id IS DISTINCT FROM l.account_id OR e.created_at IS DISTINCT FROM l.expires_at)) AS lots_not_whole`);
  return row!;
}

const expectVerifyClean = async (t: TestServer) => expect(await t.services.verify()).toMatchObject({ ok: true, problems: [] });

describe("a sweep", () => {
  it("expires idle accounts with nobody calling the API: one 소멸 row per account and moment, at the lots' end", async () => {
    const cafe = await storeWithPeriod(s, 1);
    at("2031-03-01T03:00:00Z"); // noon in Seoul: the lots end at midnight of 03-02, Seoul time
    await call(s, cafe, "save", { number: "010-4100-0001", count: 3 });
    await call(s, cafe, "save", { number: "010-4100-0001", count: 4 });
    await call(s, cafe, "save", { number: "010-4100-0002", count: 5 });
    at("2031-03-02T03:00:00Z");
    await call(s, cafe, "save", { number: "010-4100-0001", count: 6 });

    at("2031-03-10T00:00:00Z");
    await s.sweeper!.sweep();
    expect(await poolState(s, cafe.pool)).toMatchObject({
      balance: 0,
      open_lots: 0,
      expire_rows: 3,
      expired: 18,
      twice: 0,
      lots_not_whole: 0,
    });
    // Read afterwards through the API: the rows the sweeper wrote, dated at each moment.
    const history = async (number: string) =>
      ((await call(s, cafe, "history", { number, count: 10 })).list as { content: string; count: number; date: string }[])
        .filter((r) => r.content === "소멸")
        .map((r) => [r.count, r.date]);
    expect(await history("010-4100-0001")).toEqual([
      [6, "2031-03-03T15:00:00Z"],
      [7, "2031-03-02T15:00:00Z"],
    ]);
    expect(await history("010-4100-0002")).toEqual([[5, "2031-03-02T15:00:00Z"]]);
    await expectVerifyClean(s);
  });

  it("leaves lots not yet due untouched, to the millisecond of their end", async () => {
    const cafe = await storeWithPeriod(s, 1);
    at("2031-04-01T03:00:00Z");
    await call(s, cafe, "save", { number: "010-4200-0001", count: 2 });
    at("2031-04-02T03:00:00Z");
    await call(s, cafe, "save", { number: "010-4200-0001", count: 7 });
    const lots = () =>
      s.db.query<{ remaining: number; expired: number }>(
        Prisma.sql`SELECT l.remaining, l.expired FROM ledger_lot l JOIN ledger_account a ON a.id = l.account_id
                    WHERE a.pool_id = ${cafe.pool} ORDER BY l.expires_at`,
      );

    at("2031-04-02T14:59:59.999Z"); // the first lot's last millisecond, in Seoul
    await s.sweeper!.sweep();
    expect(await lots()).toEqual([
      { remaining: 2, expired: 0 },
      { remaining: 7, expired: 0 },
    ]);
    at("2031-04-02T15:00:00Z");
    await s.sweeper!.sweep();
    expect(await lots()).toEqual([
      { remaining: 0, expired: 2 },
      { remaining: 7, expired: 0 },
    ]);
    expect(await poolState(s, cafe.pool)).toMatchObject({ balance: 7, expire_rows: 1, expired: 2 });
    await expectVerifyClean(s);
  });

  it("queues one EXPIRE event per expire row for a store with a webhook, and wakes the delivery worker", async () => {
    const cafe = await storeWithPeriod(s, 1);
    const quiet = await storeWithPeriod(s, 1);
    await s.services.webhooks.set(cafe.id, "http://127.0.0.1:9/hook");
    at("2031-05-01T03:00:00Z");
    for (const store of [cafe, quiet]) {
      await call(s, store, "save", { number: "010-4300-0001", count: 3 });
      await call(s, store, "save", { number: "010-4300-0002", count: 4 });
    }
    at("2031-05-02T03:00:00Z");
    await call(s, cafe, "save", { number: "010-4300-0001", count: 5 });
    const events = () =>
      s.db.query<{ body: string }>(Prisma.sql`SELECT body FROM webhook_event WHERE store_id = ${cafe.id} AND action = 'EXPIRE'`);
    expect(await events()).toEqual([]);
    let rings = 0;
    const unlisten = s.services.webhookNudge.listen(() => rings++);
    try {
      at("2031-06-01T00:00:00Z");
      await s.sweeper!.sweep();
    } finally {
      unlisten();
    }
    type PointEvent = { resourceType: string; action: string; compIdx: number; change: number; point: { entryId: number } };
    const queued = (await events()).map((e) => JSON.parse(e.body) as PointEvent).sort((x, y) => x.point.entryId - y.point.entryId);
    const expireRows = await s.db.query<{ id: number; member_id: number; delta: number; balance_after: number }>(
      Prisma.sql`SELECT e.id, a.member_id, e.delta, e.balance_after FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
                  WHERE e.store_id = ${cafe.id} AND e.kind = 'expire' ORDER BY e.id`,
    );
    expect(expireRows.map((r) => r.delta)).toEqual([-3, -5, -4]); // 010-4300-0001's two moments, then 010-4300-0002's
    expect(queued).toEqual(
      expireRows.map((r) =>
        expect.objectContaining({
          resourceType: "POINT",
          action: "EXPIRE",
          compIdx: cafe.id,
          change: r.delta,
          point: { storeId: cafe.id, memberNo: r.member_id, entryId: r.id, balance: r.balance_after },
        }),
      ),
    );
    expect(rings).toBeGreaterThan(0);
    // The store without a webhook expired too, and queued nothing.
    expect(await poolState(s, quiet.pool)).toMatchObject({ balance: 0, expire_rows: 2 });
    expect(await s.db.query(Prisma.sql`SELECT 1 FROM webhook_event WHERE store_id = ${quiet.id}`)).toEqual([]);
  });

  it("sizes its steps by time: the limit grows while steps are fast and shrinks when they are slow", async () => {
    const t = await server();
    try {
      const cafe = await storeWithPeriod(t, 1);
      at(START);
      await importMembers(t, cafe, 60, "4400");
      at(LONG_AFTER);
      // Steps never as fast as 1 µs: after the first (4 lots) each takes one account.
      const slow = await sweeperOn(t, { firstLimit: 4, stepMs: 0.001 }).sweep();
      expect(slow).toMatchObject({ accounts: 60, rows: 60 });
      expect(slow.steps).toBe(1 + 56 + 1); // the first, one per account left, and the one that found nothing

      const more = await storeWithPeriod(t, 1);
      at(START);
      await importMembers(t, more, 60, "4401");
      at(LONG_AFTER);
      // Steps always within a minute: the limit doubles, 4 + 8 + 16 + 32 covers 60 accounts.
      const fast = await sweeperOn(t, { firstLimit: 4, stepMs: 60_000 }).sweep();
      expect(fast).toMatchObject({ accounts: 60, rows: 60, steps: 4 + 1 });
      await expectVerifyClean(t);
    } finally {
      await t.stop();
    }
  });
});

describe("several sweepers at once", () => {
  it("expire each lot once: two instances on one database (two sweepers on its one connection when embedded)", async () => {
    const first = await server({}, { expirySweeper: { firstLimit: 3, maxLimit: 8 } });
    // On PostgreSQL a second real server on the same database; the embedded database has one
    // owner, so there the second sweeper shares the first server's connection.
    const second =
      first.database.kind === "postgres"
        ? await server({}, { database: first.database, expirySweeper: { firstLimit: 3, maxLimit: 8 } })
        : null;
    try {
      const cafe = await storeWithPeriod(first, 1);
      at(START);
      await importMembers(first, cafe, 300, "4500");
      // A second moment on every third account: saves a day later than the import, before its lots end.
      clock.now = new Date(clock.now.getTime() + DAY_MS);
      for (let i = 0; i < 300; i += 3) await call(first, cafe, "save", { number: `010-4500-${String(i).padStart(4, "0")}`, count: 2 });
      const before = await poolState(first, cafe.pool);
      expect(before).toMatchObject({ accounts: 300, open_lots: 400, expire_rows: 0 });

      at(LONG_AFTER);
      const other = second?.sweeper ?? sweeperOn(first, { firstLimit: 3, maxLimit: 8 });
      const [a, b] = await Promise.all([first.sweeper!.sweep(), other.sweep()]);
      expect(a.rows + b.rows).toBe(400);
      expect(await poolState(first, cafe.pool)).toEqual({
        accounts: 300,
        balance: 0,
        open_lots: 0,
        expire_rows: 400,
        expired: before.balance,
        twice: 0,
        lots_not_whole: 0,
      });
      await expectVerifyClean(first);
    } finally {
      await second?.close();
      await first.stop();
    }
  });
});

describe("running in the server", () => {
  /** The sweeper's metric as a server shows it (the counter is the process's: compare before and after). */
  const sweptRows = async (t: TestServer) =>
    Number(/^stampd_expiry_sweep_rows_total (\d+)$/m.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1]);

  it("sweeps every interval by itself and counts the expire rows in stampd_expiry_sweep_rows_total", async () => {
    const t = await server({}, { expirySweeper: { intervalMs: 20 } });
    try {
      const counted = await sweptRows(t);
      const cafe = await storeWithPeriod(t, 1);
      at("2031-08-01T03:00:00Z");
      await call(t, cafe, "save", { number: "010-4600-0001", count: 3 });
      await call(t, cafe, "save", { number: "010-4600-0002", count: 4 });
      at("2031-08-05T00:00:00Z");
      await until("the server's sweeper to have counted two expire rows", async () => (await sweptRows(t)) - counted === 2);
      expect(await poolState(t, cafe.pool)).toMatchObject({ balance: 0, open_lots: 0, expire_rows: 2, expired: 7, twice: 0 });
    } finally {
      await t.stop();
    }
  });

  it("logs a summary line for a sweep that expired something", async () => {
    const lines: { fields: object; line: string }[] = [];
    const log = { info: (fields: object, line: string) => void lines.push({ fields, line }), error: () => {} };
    const own = sweeperOn(s, { intervalMs: 20, log });
    try {
      const cafe = await storeWithPeriod(s, 1);
      at("2031-09-01T03:00:00Z");
      for (const number of ["010-4700-0001", "010-4700-0002"]) await call(s, cafe, "save", { number, count: 1 });
      at("2031-09-05T00:00:00Z");
      own.start();
      await until("the sweep's line", () => lines.length > 0);
    } finally {
      await own.stop();
    }
    expect(lines).toEqual([
      {
        fields: {
          accounts: expect.any(Number),
          rows: expect.any(Number),
          steps: expect.any(Number),
          longestStepMs: expect.any(Number),
          ms: expect.any(Number),
        },
        line: expect.stringMatching(/^expiry sweep: \d+ expire rows on \d+ accounts in \d+ ms$/),
      },
    ]);
    expect((lines[0]!.fields as { rows: number }).rows).toBeGreaterThanOrEqual(2);
  });

  it("runs none with EXPIRY_SWEEP_SECONDS=0", async () => {
    const t = await server({ EXPIRY_SWEEP_SECONDS: "0" });
    try {
      expect(t.sweeper).toBeNull();
    } finally {
      await t.stop();
    }
  });

  it("closes cleanly while a sweep runs: the step in flight commits, the rest waits for the next start", async () => {
    const first = await server({}, { expirySweeper: { firstLimit: 1, maxLimit: 1 } });
    let reopened: TestServer | undefined;
    let closed = false;
    try {
      const cafe = await storeWithPeriod(first, 1);
      at(START);
      await importMembers(first, cafe, 500, "4800");
      at(LONG_AFTER);
      let settled = false;
      const sweeping = first.sweeper!.sweep();
      void sweeping.finally(() => (settled = true));
      await until("the sweep to be under way", async () => (await poolState(first, cafe.pool)).expire_rows > 0);
      await first.close();
      closed = true;
      expect(settled).toBe(true);
      const summary = await sweeping;
      expect(summary.rows).toBeLessThan(500);

      reopened = await server({}, { database: first.database, expirySweeper: { firstLimit: 50 } });
      const left = await poolState(reopened, cafe.pool);
      expect(left).toMatchObject({ expire_rows: summary.rows, open_lots: 500 - summary.rows, twice: 0, lots_not_whole: 0 });
      await expectVerifyClean(reopened);
      expect(await reopened.sweeper!.sweep()).toMatchObject({ rows: 500 - summary.rows });
      expect(await poolState(reopened, cafe.pool)).toMatchObject({
        balance: 0,
        open_lots: 0,
        expire_rows: 500,
        twice: 0,
        lots_not_whole: 0,
      });
    } finally {
      if (reopened) await reopened.stop();
      else if (closed) await first.database.drop();
      else await first.stop();
    }
  });
});

describe("EXPIRY_SWEEP_SECONDS", () => {
  it("is 60 by default, 0 turns the sweeper off, and anything but a whole number of seconds is refused", () => {
    expect(loadConfig({}).EXPIRY_SWEEP_SECONDS).toBe(60);
    expect(loadConfig({ EXPIRY_SWEEP_SECONDS: "0" }).EXPIRY_SWEEP_SECONDS).toBe(0);
    expect(loadConfig({ EXPIRY_SWEEP_SECONDS: "300" }).EXPIRY_SWEEP_SECONDS).toBe(300);
    for (const bad of ["-1", "1.5", "soon", "86401"]) {
      expect(() => loadConfig({ EXPIRY_SWEEP_SECONDS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ EXPIRY_SWEEP_SECONDS: bad })).toThrow(/EXPIRY_SWEEP_SECONDS/);
    }
  });
});
