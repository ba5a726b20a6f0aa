// Group commit (issue 19): saves and uses sent together are applied by one call of
// open_api_change_balances and one commit, each with its own outcome, as if they had run one
// after the other in their order. The batching rules, on the real database: refusals in a batch,
// one account twice, the daily limit's edge, one idempotency key twice, a batch that fails as a
// whole; then over HTTP: concurrent calls share commits, and a killed server loses no call it
// acknowledged.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeBalances, type BalanceChange, type BalanceChangeOutcome, type StoreCaller } from "../src/ledger/points.js";
import { GroupCommit } from "../src/ledger/group-commit.js";
import { Prisma } from "../src/generated/prisma/client.js";
import { digest } from "../src/platform/secrets.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { SLOW_START_MS, spawnServer } from "./support/process.js";
import { createStore } from "./support/admin.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ GROUP_COMMIT_IN_FLIGHT: "1" });
});
afterAll(() => s?.stop());

const ceilings = { stamp: 100, point: 1_000 };
const callerOf = (st: { id: number; auth_code: string }): StoreCaller => ({
  storeId: st.id,
  authCodeHash: digest(st.auth_code),
  timeZone: "Asia/Seoul",
});

type Store = { id: number; auth_code: string };
/** A save (count > 0, registering the phone) or a use (count < 0) of `phone` at `store`. */
const call = (store: Store, phone: string, delta: number, extra: Partial<BalanceChange> = {}): BalanceChange => ({
  caller: callerOf(store),
  ceilings,
  member: { phone },
  delta,
  register: delta > 0,
  ...extra,
});

const balanceOf = async (phone: string) => (await s.db.prisma.ledgerAccount.findFirst({ where: { member: { phone } } }))?.balance;
const rowsOf = (phone: string) => s.db.prisma.ledgerEntry.count({ where: { account: { member: { phone } } } });
const callsOf = async (store: Store) => (await s.db.prisma.dailyUsage.findFirst({ where: { storeId: store.id } }))?.calls ?? 0;
const statuses = (outcomes: BalanceChangeOutcome[]) => outcomes.map((o) => o.status);

describe("one batch, as if its calls ran one after the other", () => {
  it("answers each call its own outcome: a refused call refuses only itself", async () => {
    const store = await s.services.stores.create({ name: "Mixed" });
    const outcomes = await changeBalances(s.db, [
      call(store, "+821031000001", 5),
      call(store, "+821031000001", -9),
      call({ id: store.id, auth_code: "wrong" }, "+821031000002", 1),
      call(store, "+821031000003", -1),
      call(store, "+821031000004", 1_001),
      call(store, "+821031000005", 2),
    ]);
    expect(statuses(outcomes)).toEqual([
      "applied",
      "insufficient_balance",
      "auth_failed",
      "member_not_found",
      "count_above_unit_max",
      "applied",
    ]);
    expect(outcomes[0]).toMatchObject({ balance: 5 });
    expect(outcomes[5]).toMatchObject({ balance: 2 });
    expect([await balanceOf("+821031000001"), await rowsOf("+821031000001")]).toEqual([5, 1]);
    expect([await balanceOf("+821031000005"), await rowsOf("+821031000005")]).toEqual([2, 1]);
    for (const phone of ["+821031000002", "+821031000003", "+821031000004"]) expect(await balanceOf(phone)).toBeUndefined();
    // Every authenticated call is counted, as one at a time: all but the wrong auth code.
    expect(await callsOf(store)).toBe(5);
  });

  it("applies two calls on one account in their order, each checked against the one before", async () => {
    const store = await s.services.stores.create({ name: "Same account" });
    const outcomes = await changeBalances(s.db, [
      call(store, "+821031000011", -3, { register: false }),
      call(store, "+821031000011", 5),
      call(store, "+821031000011", -3),
      call(store, "+821031000011", -5),
      call(store, "+821031000011", 1),
    ]);
    expect(outcomes).toEqual([
      { status: "member_not_found" },
      expect.objectContaining({ status: "applied", balance: 5 }),
      expect.objectContaining({ status: "applied", balance: 2 }),
      { status: "insufficient_balance" },
      expect.objectContaining({ status: "applied", balance: 3 }),
    ]);
    const entries = await s.db.prisma.ledgerEntry.findMany({
      where: { account: { member: { phone: "+821031000011" } } },
      orderBy: { id: "asc" },
    });
    expect(entries.map((e) => [e.delta, e.balanceAfter])).toEqual([
      [5, 5],
      [-3, 2],
      [1, 3],
    ]);
  });

  it("keeps the daily limit exact inside a batch: the calls past it are refused and write nothing", async () => {
    const store = await s.services.stores.create({ name: "Limit", dailyLimit: 5 });
    const key = { key: "limit-key", fingerprint: "f1" };
    await changeBalances(s.db, [call(store, "+821031000021", 1, { idempotency: key }), call(store, "+821031000021", 1)]);
    await changeBalances(s.db, [call(store, "+821031000021", 1)]);
    expect(await callsOf(store)).toBe(3);
    const outcomes = await changeBalances(s.db, [
      call(store, "+821031000022", 1),
      call(store, "+821031000023", 1),
      call(store, "+821031000024", 1),
      call(store, "+821031000021", 1, { idempotency: key }),
      call(store, "+821031000025", 1),
    ]);
    // A recorded answer is given even once the limit is reached, uncounted.
    expect(statuses(outcomes)).toEqual(["applied", "applied", "rate_limited", "replayed", "rate_limited"]);
    expect(outcomes[3]).toMatchObject({ balance: 1 });
    expect(await callsOf(store)).toBe(5);
    expect(await balanceOf("+821031000024")).toBeUndefined();
    expect(await balanceOf("+821031000025")).toBeUndefined();
    expect(await rowsOf("+821031000021")).toBe(3);
  });

  it("answers one idempotency key twice in a batch as if sequential: replayed, or refused for other parameters", async () => {
    const store = await s.services.stores.create({ name: "Keys" });
    const outcomes = await changeBalances(s.db, [
      call(store, "+821031000031", 3, { idempotency: { key: "k", fingerprint: "save 3" } }),
      call(store, "+821031000031", 3, { idempotency: { key: "k", fingerprint: "save 3" } }),
      call(store, "+821031000031", 4, { idempotency: { key: "k", fingerprint: "save 4" } }),
      call(store, "+821031000031", 4, { idempotency: { key: "other", fingerprint: "save 4" } }),
    ]);
    expect(outcomes).toEqual([
      expect.objectContaining({ status: "applied", balance: 3 }),
      expect.objectContaining({
        status: "replayed",
        balance: 3,
        member_no: outcomes[0]!.status === "applied" ? outcomes[0]!.member_no : -1,
      }),
      { status: "key_reused" },
      expect.objectContaining({ status: "applied", balance: 7 }),
    ]);
    expect(await rowsOf("+821031000031")).toBe(2);
  });

  it("writes the rows in the calls' order, and a use takes from a lot saved earlier in the batch", async () => {
    const store = await s.services.stores.create({ name: "Lots", unit: "point", expiryDays: 30 });
    const [a, b] = ["+821031000051", "+821031000052"];
    const outcomes = await changeBalances(s.db, [
      call(store, a, 5),
      call(store, b, 2),
      call(store, a, -3),
      call(store, a, 1),
      call(store, b, -2),
    ]);
    expect(outcomes.map((o) => (o.status === "applied" ? o.balance : o.status))).toEqual([5, 2, 2, 3, 0]);

    const entries = await s.db.prisma.ledgerEntry.findMany({ where: { account: { member: { phone: a } } }, orderBy: { id: "asc" } });
    expect(entries.map((e) => [e.delta, e.balanceAfter])).toEqual([
      [5, 5],
      [-3, 2],
      [1, 3],
    ]);
    const lots = await s.db.prisma.ledgerLot.findMany({
      where: { account: { member: { phone: { in: [a, b] } } } },
      orderBy: { id: "asc" },
    });
    expect(lots.map((l) => [l.entryId, l.amount, l.remaining])).toEqual([
      [entries[0]!.id, 5, 2],
      [expect.any(Number), 2, 0],
      [entries[2]!.id, 1, 1],
    ]);
    const accounts = await s.db.prisma.ledgerAccount.findMany({ where: { member: { phone: { in: [a, b] } } }, orderBy: { id: "asc" } });
    expect(accounts.map((x) => [x.balance, x.expiring])).toEqual([
      [3, 3],
      [0, 0],
    ]);
    // The start page's figures, moved once for the batch's rows: three saves of 8, two uses of 5, two new customers.
    const activity = await s.db.prisma.storeActivity.findMany({ where: { storeId: store.id } });
    expect(activity.map((x) => [x.saves, Number(x.saved), x.uses, Number(x.used), x.newMembers])).toEqual([[3, 8, 2, 5, 2]]);
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
  });
});

describe("a batch's cost does not grow with the ledger", () => {
  // A session keeps a statement's plan, made while the tables were small (a new database, and no
  // ANALYZE without autovacuum). A plan that read a whole table then reads it whole for as long as
  // the session lives, ever slower as the ledger grows; the activity trigger's once did.
  it("reads the ledger's entries by key only, never the whole table", async () => {
    const store = await s.services.stores.create({ name: "No scans" });
    const scans = await s.db.transaction(async (sql) => {
      // The transaction's counts so far: PostgreSQL may hold the session's earlier ones there too.
      const count = async () =>
        (
          await sql.query<{ n: number }>(
            Prisma.sql`SELECT COALESCE(sum(seq_scan), 0)::int AS n FROM pg_stat_xact_user_tables WHERE relname = 'ledger_entry'`,
          )
        )[0]!.n;
      const before = await count();
      await changeBalances(sql, [call(store, "+821031000061", 2), call(store, "+821031000062", 3), call(store, "+821031000061", -1)]);
      return (await count()) - before;
    });
    expect(scans).toBe(0);
  });
});

describe("the queue of calls", () => {
  it("sends the calls that wait as one batch, and when it fails as a whole runs each alone", async () => {
    const store = await s.services.stores.create({ name: "Fallback" });
    const batches: number[] = [];
    const queue = new GroupCommit<BalanceChange, BalanceChangeOutcome>(
      (calls) => {
        batches.push(calls.length);
        return changeBalances(s.db, calls);
      },
      { inFlight: 1, maxBatch: 64 },
    );
    const first = queue.submit(call(store, "+821031000041", 1));
    await new Promise((r) => setImmediate(r));
    // Sent while the first is in flight: they wait, then go together. A delta of 0 breaks the
    // ledger row's CHECK, so that batch fails whole; alone, the other two apply.
    const waiting = [
      queue.submit(call(store, "+821031000042", 2)),
      queue.submit(call(store, "+821031000043", 0, { register: true })),
      queue.submit(call(store, "+821031000044", 3)),
    ];
    const settled = await Promise.allSettled([first, ...waiting]);
    expect(batches.slice(0, 2)).toEqual([1, 3]);
    expect(batches.slice(2).sort()).toEqual([1, 1, 1]);
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: "23514" });
    expect([await balanceOf("+821031000042"), await balanceOf("+821031000044")]).toEqual([2, 3]);
    expect(await balanceOf("+821031000043")).toBeUndefined();
  });
});

/** The histogram of calls per commit, from the server's /metrics. */
async function batchFigures(): Promise<{ batches: number; calls: number }> {
  const text = (await s.app.inject({ method: "GET", url: "/metrics" })).body;
  const figure = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { batches: figure("stampd_ledger_batch_calls_count"), calls: figure("stampd_ledger_batch_calls_sum") };
}

describe("over HTTP", () => {
  it("commits concurrent saves together, and one client's saves one by one", async () => {
    const store = await s.services.stores.create({ name: "Concurrent" });
    const save = (phone: string) =>
      s.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number: phone, count: 1 });

    const before = await batchFigures();
    for (let i = 0; i < 3; i++) expect(await save(`0103200000${i}`)).toMatchObject({ result: true, total_point: 1 });
    const alone = await batchFigures();
    expect(alone).toEqual({ batches: before.batches + 3, calls: before.calls + 3 });

    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => save(`010321000${String(i).padStart(2, "0")}`)));
    expect(answers.every((a) => a.result === true && a.total_point === 1)).toBe(true);
    const together = await batchFigures();
    expect(together.calls - alone.calls).toBe(24);
    expect(together.batches - alone.batches).toBeLessThan(24);
  });

  it(
    "loses no acknowledged save when the server is killed while saves are in flight",
    async () => {
      const ADMIN_TOKEN = "group-commit-admin-token-0123";
      const first = await spawnServer({ ADMIN_TOKEN, GROUP_COMMIT_IN_FLIGHT: "1" });
      const restarted: Awaited<ReturnType<typeof spawnServer>>[] = [];
      try {
        const store = await createStore(first.url, ADMIN_TOKEN);
        const acknowledged: string[] = [];
        let next = 0;
        let killed = false;
        const client = async () => {
          while (!killed) {
            const phone = `0104${String(next++).padStart(7, "0")}`;
            const body = new URLSearchParams({
              id: String(store.id),
              auth_code: store.auth_code,
              device: "openapi",
              number: phone,
              count: "1",
            });
            try {
              const answer = (await (await fetch(`${first.url}/api/open/save`, { method: "POST", body })).json()) as { result: boolean };
              if (answer.result) acknowledged.push(phone);
            } catch {
              return; // the connection died with the server
            }
          }
        };
        const clients = Array.from({ length: 8 }, client);
        while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 5));
        killed = true;
        await first.signal("SIGKILL");
        await Promise.all(clients);

        const second = await spawnServer({ ADMIN_TOKEN }, { database: first.database });
        restarted.push(second);
        const balances = await Promise.all(
          acknowledged.map(async (phone) => {
            const q = new URLSearchParams({ id: String(store.id), auth_code: store.auth_code, device: "openapi", number: phone });
            return ((await (await fetch(`${second.url}/api/open/balance?${q}`)).json()) as { total_count?: number }).total_count;
          }),
        );
        expect(balances.filter((b) => b !== 1)).toEqual([]);
      } finally {
        for (const r of restarted) await r.cleanup();
        await first.cleanup();
      }
    },
    4 * SLOW_START_MS,
  );
});
