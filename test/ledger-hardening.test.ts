// One stuck member must not stall its store (issue 13, F): an OPEN API change holds the store's
// daily counter only after it has taken its own locks, and reads never wait for a member's rows,
// while the daily limit stays exact and a call refused by it changes nothing. Over real HTTP, on
// the embedded database or on PostgreSQL when DATABASE_URL is set.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";

type Store = { id: number; auth_code: string };
type Params = Record<string, string | number>;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ DB_POOL_SIZE: "16" });
});
afterAll(() => s?.stop());

const call = (store: Store, path: string, params: Params, signal?: AbortSignal) =>
  fetch(`${s.url}/api/open/${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(
      Object.entries({ id: store.id, auth_code: store.auth_code, device: "openapi", ...params }).map(([k, v]) => [k, String(v)]),
    ),
    signal,
  }).then((r) => r.json());

/** Polls `check` until it holds; fails after 10 seconds. */
const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; !(await check()); i++) {
    if (i === 200) throw new Error("gave up waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
};

const callsCounted = async (store: Store) =>
  (await s.db.prisma.dailyUsage.findMany({ where: { storeId: store.id } })).reduce((sum, u) => sum + u.calls, 0);

/**
 * Holds the account of `phone` in the store's pool locked from a connection of its own, as a
 * call stuck in the middle of its transaction would, and answers a save for that member that is
 * waiting for the lock. PGlite has one connection, shared by the server: a lock held there
 * would be held by the server itself, so this needs PostgreSQL.
 */
async function holdAccount(store: Store, phone: string) {
  const holder = new pg.Client({ connectionString: s.config.DATABASE_URL });
  await holder.connect();
  // The database is dropped (its connections ended) after the tests.
  holder.on("error", () => {});
  await holder.query("BEGIN");
  const locked = await holder.query(
    `SELECT a.id FROM ledger_account a JOIN member m ON m.id = a.member_id JOIN store st ON st.pool_id = a.pool_id
      WHERE m.phone = $1 AND st.id = $2 FOR UPDATE OF a`,
    [`+82${phone.slice(1)}`, store.id],
  );
  expect(locked.rowCount).toBe(1);
  const stuck = call(store, "save", { number: phone, count: 1 });
  // The save has reached the lock: a backend of this test's database waits for one.
  await until(async () => {
    // Statistics are read once per transaction unless cleared, and this connection is in one.
    await holder.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await holder.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    );
    return rows[0].n > 0;
  });
  return {
    stuck,
    release: async () => {
      await holder.query("ROLLBACK");
      await holder.end();
    },
  };
}

const onPostgres = Boolean(process.env.DATABASE_URL);
const NEEDS_POSTGRES = "needs PostgreSQL: PGlite is one connection, so no lock can be held beside the server's";

describe("one stuck member does not stall its store", () => {
  it.skipIf(!onPostgres)(`a read and a save for another member answer at once (${NEEDS_POSTGRES})`, async () => {
    const store = await s.services.stores.create({ name: "Cafe", dailyLimit: 7 });
    for (const number of ["01050000001", "01050000002"]) expect((await call(store, "save", { number, count: 5 })).result).toBe(true);
    const { stuck, release } = await holdAccount(store, "01050000001");
    try {
      // Before the fix both waited behind the stuck save, which held the store's counter.
      const prompt = () => AbortSignal.timeout(5_000);
      expect(await call(store, "balance", { number: "01050000002" }, prompt())).toMatchObject({ result: true, total_count: 5 });
      expect(await call(store, "save", { number: "01050000002", count: 1 }, prompt())).toMatchObject({ result: true, total_point: 6 });
      expect(await call(store, "history", { number: "01050000002" }, prompt())).toMatchObject({ result: true });
    } finally {
      await release();
    }
    expect(await stuck).toMatchObject({ result: true, total_point: 6 });
    // 2 + 3 + the stuck save: 6 of 7; one more, and then the limit holds.
    expect(await callsCounted(store)).toBe(6);
    expect((await call(store, "balance", { number: "01050000001" })).result).toBe(true);
    expect(await call(store, "balance", { number: "01050000001" })).toMatchObject({ code: "RATE_LIMITED" });
    expect(await call(store, "save", { number: "01050000002", count: 1 })).toMatchObject({ code: "RATE_LIMITED" });
    expect(await callsCounted(store)).toBe(7);
  });

  it.skipIf(!onPostgres)(
    `a stuck save that finds the limit reached when it gets its lock changes nothing (${NEEDS_POSTGRES})`,
    async () => {
      const store = await s.services.stores.create({ name: "Cafe", dailyLimit: 3 });
      for (const number of ["01050000003", "01050000004"]) expect((await call(store, "save", { number, count: 5 })).result).toBe(true);
      const { stuck, release } = await holdAccount(store, "01050000003");
      // The stuck save saw room for one more call; this read takes it.
      try {
        expect(await call(store, "balance", { number: "01050000004" }, AbortSignal.timeout(5_000))).toMatchObject({ result: true });
      } finally {
        await release();
      }
      expect(await stuck).toMatchObject({ result: false, code: "RATE_LIMITED" });
      expect(await callsCounted(store)).toBe(3);
      const rows = await s.db.prisma.ledgerEntry.count({ where: { storeId: store.id } });
      expect(rows).toBe(2);
      expect(await s.services.verify()).toMatchObject({ ok: true });
    },
  );
});

describe("the daily limit stays exact", () => {
  it("concurrent saves, uses and reads: exactly the limit is served, and refused calls change nothing", async () => {
    const limit = 25;
    const store = await s.services.stores.create({ name: "Kiosk", unit: "point", dailyLimit: limit + 4 });
    const known = ["01051000001", "01051000002", "01051000003", "01051000004"];
    for (const number of known) expect((await call(store, "save", { number, count: 50 })).result).toBe(true);
    const calls = Array.from({ length: 90 }, (_, i): { path: string; params: Record<string, string | number> } => {
      const number = known[i % known.length]!;
      if (i % 5 === 0) return { path: "save", params: { number: `0105200${String(i).padStart(4, "0")}`, count: 1 } };
      if (i % 5 === 1) return { path: "balance", params: { number } };
      if (i % 5 === 2) return { path: "use", params: { number, count: 1 } };
      return { path: "save", params: { number, count: 2 } };
    });
    const answers = await Promise.all(calls.map((c) => call(store, c.path, c.params)));
    const served = answers.filter((a) => a.result === true);
    expect(answers.filter((a) => !a.result).every((a) => a.code === "RATE_LIMITED")).toBe(true);
    expect(served.length).toBe(limit);
    expect(await callsCounted(store)).toBe(limit + 4);

    // Only served changes wrote rows, and a refused save of a new phone registered nobody.
    const writes = calls.filter((c, i) => c.path !== "balance" && answers[i].result).length;
    expect(await s.db.prisma.ledgerEntry.count({ where: { storeId: store.id } })).toBe(known.length + writes);
    const refusedPhones = calls.filter((c, i) => c.path === "save" && !answers[i].result).map((c) => c.params.number as string);
    const registered = await s.db.prisma.member.count({
      where: { phone: { in: refusedPhones.filter((p) => p.startsWith("0105200")).map((p) => `+82${p.slice(1)}`) } },
    });
    expect(registered).toBe(0);
    expect(await s.services.verify()).toMatchObject({ ok: true });
  });
});
