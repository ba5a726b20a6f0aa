// Expiry of stamps and points (shared/spec/expiry.md, "Expiry rule"), over the OPEN API on a
// server whose clock the test sets: lots per credit, debits from the lots that lapse first, one
// `소멸` row per account and moment, at the end of the crediting store's day. On the embedded
// database, or on PostgreSQL when DATABASE_URL is set.
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { stampd } from "./support/cli.js";
import { sweepExpired } from "../src/ledger/expiry.js";

type Store = { id: number; auth_code: string };
type Params = Record<string, string | number>;

const ADMIN_TOKEN = "admin-token-0123456789abcdef";
/** UTC+14 and UTC-12: their dates always differ. */
const EAST = "Pacific/Kiritimati";
const WEST = "Etc/GMT+12";

/** The server's clock: every ledger call happens at `clock.now`. */
const clock = { now: new Date("2030-01-01T00:00:00Z") };
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer(
    { ADMIN_TOKEN, TIME_ZONE: "Asia/Seoul", WEBHOOK_ALLOW_PRIVATE: "true" },
    { clock: () => clock.now, webhookWorker: false },
  );
});
afterAll(() => s?.stop());

const at = (iso: string) => {
  clock.now = new Date(iso);
};
const call = (store: Store, path: string, params: Params) =>
  s.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });
const balanceOf = async (store: Store, number: string) => (await call(store, "balance", { number })).total_count as number;
const historyOf = async (store: Store, number: string) =>
  (await call(store, "history", { number, count: 100 })).list as {
    id: number;
    type: number;
    count: number;
    content: string;
    date: string;
  }[];
/** The member's open lots, soonest end first: [remaining, last day]. */
async function lotsOf(store: Store, number: string) {
  const { member_no } = await call(store, "balance", { number });
  return (
    await s.db.query<{ remaining: number; expires_on: string }>(
      Prisma.sql`SELECT l.remaining, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on
                   FROM ledger_lot l JOIN ledger_account a ON a.id = l.account_id
                  WHERE a.member_id = ${member_no} AND l.remaining > 0 ORDER BY l.expires_at, l.id`,
    )
  ).map((l) => [l.remaining, l.expires_on]);
}
const expectVerifyClean = async () => expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });

/** A store in a pool with a period of `days`, in Asia/Seoul unless given a zone. */
async function storeWithPeriod(days: number | null, timeZone?: string): Promise<Store> {
  return s.services.stores.create({ name: "Cafe", unit: "point", expiryDays: days, timeZone });
}

describe("lots and their ends", () => {
  it("a save lasts to the end of the crediting store's day N days later, then one 소멸 row takes what is left", async () => {
    const cafe = await storeWithPeriod(30);
    at("2030-01-10T03:00:00Z"); // 12:00 in Seoul
    await call(cafe, "save", { number: "010-3100-0001", count: 5 });
    expect(await lotsOf(cafe, "01031000001")).toEqual([[5, "2030-02-09"]]);

    at("2030-02-09T14:59:59.999Z"); // 23:59:59.999 on the last day, in Seoul
    expect(await balanceOf(cafe, "01031000001")).toBe(5);
    at("2030-02-09T15:00:00Z"); // midnight: the lot has ended
    expect(await balanceOf(cafe, "01031000001")).toBe(0);
    const [expired, saved] = await historyOf(cafe, "01031000001");
    expect(expired).toMatchObject({ type: 1, count: 5, content: "소멸", date: "2030-02-09T15:00:00Z" });
    expect(saved).toMatchObject({ type: 0, count: 5, content: "적립" });
    await expectVerifyClean();
  });

  it("uses take from the lot that ends first, and only what is left of a lot expires", async () => {
    const cafe = await storeWithPeriod(10);
    at("2030-03-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3100-0002", count: 5 });
    at("2030-03-05T03:00:00Z");
    await call(cafe, "save", { number: "010-3100-0002", count: 3 });
    const used = await call(cafe, "use", { number: "010-3100-0002", count: 6 });
    expect(used).toMatchObject({ result: true, total_point: 2 });
    expect(await lotsOf(cafe, "01031000002")).toEqual([[2, "2030-03-15"]]);

    at("2030-03-12T03:00:00Z"); // the first lot has ended, empty: nothing expires
    expect(await balanceOf(cafe, "01031000002")).toBe(2);
    expect((await historyOf(cafe, "01031000002")).map((r) => r.content)).toEqual(["차감", "적립", "적립"]);
    at("2030-03-16T03:00:00Z");
    expect(await balanceOf(cafe, "01031000002")).toBe(0);
    expect((await historyOf(cafe, "01031000002"))[0]).toMatchObject({ content: "소멸", count: 2 });
    await expectVerifyClean();
  });

  it("writes one 소멸 row per moment, oldest first, when several moments passed unseen", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-04-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3100-0003", count: 1 });
    await call(cafe, "save", { number: "010-3100-0003", count: 2 });
    at("2030-04-02T03:00:00Z");
    await call(cafe, "save", { number: "010-3100-0003", count: 4 });
    at("2030-05-01T03:00:00Z");
    const r = await call(cafe, "save", { number: "010-3100-0003", count: 8 });
    expect(r).toMatchObject({ result: true, total_point: 8 });
    const rows = (await historyOf(cafe, "01031000003")).map((x) => [x.content, x.count, x.date]);
    expect(rows).toEqual([
      ["적립", 8, expect.any(String)],
      ["소멸", 4, "2030-04-03T15:00:00Z"],
      ["소멸", 3, "2030-04-02T15:00:00Z"],
      ["적립", 4, expect.any(String)],
      ["적립", 2, expect.any(String)],
      ["적립", 1, expect.any(String)],
    ]);
    await expectVerifyClean();
  });

  it("a use beyond what is left after the expiry is refused, and the expiry stands", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-06-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3100-0004", count: 5 });
    at("2030-06-03T03:00:00Z");
    const r = await call(cafe, "use", { number: "010-3100-0004", count: 5 });
    expect(r).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
    expect(await balanceOf(cafe, "01031000004")).toBe(0);
    expect((await historyOf(cafe, "01031000004")).map((x) => x.content)).toEqual(["소멸", "적립"]);
  });
});

describe("the expire row's webhook event and answers", () => {
  it("queues one EXPIRE event per expire row for the crediting store's webhook", async () => {
    const cafe = await storeWithPeriod(1);
    await s.services.webhooks.set(cafe.id, "http://127.0.0.1:9/hook");
    at("2030-07-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3150-0001", count: 2 });
    at("2030-07-02T03:00:00Z");
    await call(cafe, "save", { number: "010-3150-0001", count: 3 });
    at("2030-07-10T03:00:00Z");
    const { member_no } = await call(cafe, "balance", { number: "010-3150-0001" });
    const events = await s.db.prisma.webhookEvent.findMany({
      where: { storeId: cafe.id, action: "EXPIRE" },
      orderBy: { createdAt: "asc" },
    });
    const bodies = events.map((e) => JSON.parse(e.body) as { change: number; occurredAt: string; point: object });
    const rows = (await historyOf(cafe, "01031500001")).filter((r) => r.content === "소멸");
    expect(bodies.map((b) => [b.change, b.occurredAt, b.point]).sort()).toEqual([
      [-2, "2030-07-02T15:00:00.000Z", { storeId: cafe.id, memberNo: member_no, entryId: rows[1]!.id, balance: 3 }],
      [-3, "2030-07-03T15:00:00.000Z", { storeId: cafe.id, memberNo: member_no, entryId: rows[0]!.id, balance: 0 }],
    ]);
  });

  it("with_expiry other than 0 or 1 is INVALID_PARAM, and 0 answers as without it", async () => {
    const cafe = await storeWithPeriod(5);
    at("2030-07-01T03:00:00Z");
    const saved = await call(cafe, "save", { number: "010-3150-0002", count: 2 });
    expect(await call(cafe, "balance", { number: "010-3150-0002", with_expiry: 2 })).toEqual({
      result: false,
      code: "INVALID_PARAM",
      msg: expect.stringContaining("with_expiry"),
    });
    const plain = { result: true, msg: "ok", member_no: saved.member_no, total_count: 2 };
    expect(await call(cafe, "balance", { number: "010-3150-0002", with_expiry: 0 })).toEqual(plain);
    expect(await call(cafe, "balance", { number: "010-3150-0002" })).toEqual(plain);
    expect(await call(cafe, "balance", { number: "010-3150-0002", with_expiry: 1 })).toEqual({
      ...plain,
      expiring: [{ count: 2, date: "2030-07-06" }],
    });
  });

  it("an import into a pool with a period is a lot from the day of the import", async () => {
    const cafe = await storeWithPeriod(10);
    at("2030-08-01T03:00:00Z");
    const file = Buffer.from(["member_no,phone,balance,joined", ",010-3150-0003,7,2022-03-04", ""].join("\n"));
    await s.services.imports.importMembers(cafe.id, file, { dryRun: false });
    expect(await lotsOf(cafe, "01031500003")).toEqual([[7, "2030-08-11"]]);
    await expectVerifyClean();
  });
});

describe("first expiring, first taken (FEFO)", () => {
  it("credits that never expire are taken last", async () => {
    const cafe = await storeWithPeriod(null);
    at("2030-01-10T03:00:00Z");
    await call(cafe, "save", { number: "010-3200-0001", count: 4 });
    await s.services.stores.set(cafe.id, { expiryDays: 5 });
    await call(cafe, "save", { number: "010-3200-0001", count: 3 });
    await call(cafe, "use", { number: "010-3200-0001", count: 2 });
    expect(await lotsOf(cafe, "01032000001")).toEqual([[1, "2030-01-15"]]);
    at("2030-01-16T03:00:00Z");
    expect(await balanceOf(cafe, "01032000001")).toBe(4);
    await expectVerifyClean();
  });

  it("a transfer gives from the giver's first-ending lots and is a new lot of the receiver from that day", async () => {
    const cafe = await storeWithPeriod(10);
    at("2030-02-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3200-0002", count: 3 });
    at("2030-02-05T03:00:00Z");
    await call(cafe, "save", { number: "010-3200-0002", count: 3 });
    const t = await call(cafe, "transfer", { number: "010-3200-0002", to_number: "010-3200-0003", count: 4 });
    expect(t).toMatchObject({ result: true, total_point: 2, to_total_point: 4 });
    expect(await lotsOf(cafe, "01032000002")).toEqual([[2, "2030-02-15"]]);
    expect(await lotsOf(cafe, "01032000003")).toEqual([[4, "2030-02-15"]]);
    await expectVerifyClean();
  });

  it("a transfer first expires what is due on both accounts", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-02-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3200-0004", count: 3 });
    await call(cafe, "save", { number: "010-3200-0005", count: 1 });
    at("2030-02-10T03:00:00Z");
    const t = await call(cafe, "transfer", { number: "010-3200-0004", to_number: "010-3200-0005", count: 1 });
    expect(t).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
    expect((await historyOf(cafe, "01032000004"))[0]).toMatchObject({ content: "소멸", count: 3 });
    expect((await historyOf(cafe, "01032000005"))[0]).toMatchObject({ content: "소멸", count: 1 });
    await expectVerifyClean();
  });

  it("reversing a use is a new lot from that day; reversing a save takes from the first-ending lots", async () => {
    const cafe = await storeWithPeriod(10);
    at("2030-03-01T03:00:00Z");
    const first = await call(cafe, "save", { number: "010-3200-0006", count: 3 });
    expect(first.result).toBe(true);
    const [firstSave] = await historyOf(cafe, "01032000006");
    at("2030-03-04T03:00:00Z");
    await call(cafe, "use", { number: "010-3200-0006", count: 2 });
    const [use] = await historyOf(cafe, "01032000006");
    at("2030-03-06T03:00:00Z");
    expect(await call(cafe, "cancel", { number: "010-3200-0006", history_id: use!.id })).toMatchObject({ result: true, total_point: 3 });
    expect(await lotsOf(cafe, "01032000006")).toEqual([
      [1, "2030-03-11"],
      [2, "2030-03-16"],
    ]);
    at("2030-03-08T03:00:00Z");
    await call(cafe, "save", { number: "010-3200-0006", count: 5 });
    expect(await call(cafe, "cancel", { number: "010-3200-0006", history_id: firstSave!.id })).toMatchObject({
      result: true,
      total_point: 5,
    });
    expect(await lotsOf(cafe, "01032000006")).toEqual([[5, "2030-03-18"]]);
    await expectVerifyClean();
  });

  it("reversing a save whose lot expired needs the balance to cover it", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-03-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3200-0007", count: 3 });
    const [save] = await historyOf(cafe, "01032000007");
    at("2030-03-05T03:00:00Z");
    const r = await call(cafe, "cancel", { number: "010-3200-0007", history_id: save!.id });
    expect(r).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
    expect(await balanceOf(cafe, "01032000007")).toBe(0);
  });
});

describe("each crediting store's zone", () => {
  it("two stores of one pool: each credit ends at midnight in its own store's zone", async () => {
    const east = await storeWithPeriod(1, EAST);
    const west = await s.services.stores.create({ name: "West", unit: "point", timeZone: WEST, pool: east.id });
    at("2030-03-10T12:00:00Z"); // 2030-03-11 02:00 in the east, 2030-03-10 00:00 in the west
    await call(east, "save", { number: "010-3300-0001", count: 1 });
    await call(west, "save", { number: "010-3300-0001", count: 2 });
    const expiring = await call(east, "balance", { number: "010-3300-0001", with_expiry: 1 });
    expect(expiring).toEqual({
      result: true,
      msg: "ok",
      member_no: expect.any(Number),
      total_count: 3,
      expiring: [
        { count: 2, date: "2030-03-11" },
        { count: 1, date: "2030-03-12" },
      ],
    });

    at("2030-03-12T09:59:59.999Z");
    expect(await balanceOf(west, "01033000001")).toBe(3);
    at("2030-03-12T10:00:00Z"); // midnight of 2030-03-13 in the east
    expect(await balanceOf(west, "01033000001")).toBe(2);
    at("2030-03-12T11:59:59.999Z");
    expect(await balanceOf(east, "01033000001")).toBe(2);
    at("2030-03-12T12:00:00Z"); // midnight of 2030-03-12 in the west
    expect(await balanceOf(east, "01033000001")).toBe(0);
    const rows = (await historyOf(east, "01033000001")).filter((r) => r.content === "소멸");
    expect(rows.map((r) => [r.count, r.date])).toEqual([
      [2, "2030-03-12T12:00:00Z"],
      [1, "2030-03-12T10:00:00Z"],
    ]);
    await expectVerifyClean();
  });
});

describe("concurrent calls at the end", () => {
  it("calls racing past an end expire it once: one 소멸 row, every answer without the expired lot", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-09-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3160-0001", count: 5 });
    await call(cafe, "save", { number: "010-3160-0002", count: 1 });
    at("2030-09-05T03:00:00Z");
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () => call(cafe, "balance", { number: "010-3160-0001" })),
      ...Array.from({ length: 6 }, () => call(cafe, "save", { number: "010-3160-0001", count: 1 })),
      ...Array.from({ length: 3 }, () => call(cafe, "transfer", { number: "010-3160-0002", to_number: "010-3160-0001", count: 1 })),
    ]);
    for (const a of answers.slice(0, 6)) expect(a.total_count).toBeLessThanOrEqual(6);
    for (const a of answers.slice(6, 12)) expect(a).toMatchObject({ result: true, total_point: expect.any(Number) });
    for (const a of answers.slice(6, 12)) expect(a.total_point).toBeLessThanOrEqual(6);
    for (const a of answers.slice(12)) expect(a).toMatchObject({ result: false, code: "INSUFFICIENT_BALANCE" });
    expect(await balanceOf(cafe, "01031600001")).toBe(6);
    const expired = (await historyOf(cafe, "01031600001")).filter((r) => r.content === "소멸");
    expect(expired.map((r) => r.count)).toEqual([5]);
    expect((await historyOf(cafe, "01031600002")).filter((r) => r.content === "소멸").map((r) => r.count)).toEqual([1]);
    await expectVerifyClean();
  });
});

// Two connections: one holds an account's lock while the sweep runs on another.
describe.runIf(process.env.DATABASE_URL)("the sweep's step", () => {
  it("finds free accounts while a call holds the soonest due one", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-10-01T03:00:00Z");
    await call(cafe, "save", { number: "010-3170-0001", count: 1 });
    at("2030-10-02T04:00:00Z"); // a day later: its lot ends after the first one
    await call(cafe, "save", { number: "010-3170-0002", count: 1 });
    const held = new pg.Client({ connectionString: s.database.env.DATABASE_URL });
    await held.connect();
    try {
      const { member_no } = await call(cafe, "balance", { number: "010-3170-0001" });
      await held.query("BEGIN");
      await held.query("SELECT 1 FROM ledger_account WHERE member_id = $1 FOR UPDATE", [member_no]);
      const step = await sweepExpired(s.db, {
        poolId: (await s.services.stores.get(cafe.id)).pool,
        at: new Date("2030-10-05T00:00:00Z"),
        limit: 1,
      });
      expect(step).toMatchObject({ accounts: 1, rows: 1 });
      await held.query("ROLLBACK");
    } finally {
      await held.end();
    }
  });
});

describe("the period", () => {
  it("changing it applies to credits made after the change", async () => {
    const cafe = await storeWithPeriod(30);
    at("2030-01-10T03:00:00Z");
    await call(cafe, "save", { number: "010-3400-0001", count: 1 });
    const set = await s.services.stores.set(cafe.id, { expiryDays: 5 });
    expect(set.expiry_days).toBe(5);
    await call(cafe, "save", { number: "010-3400-0001", count: 2 });
    await s.services.stores.set(cafe.id, { expiryDays: null });
    await call(cafe, "save", { number: "010-3400-0001", count: 4 });
    expect(await lotsOf(cafe, "01034000001")).toEqual([
      [2, "2030-01-15"],
      [1, "2030-02-09"],
    ]);
    at("2031-01-01T00:00:00Z");
    expect(await balanceOf(cafe, "01034000001")).toBe(4);
    await expectVerifyClean();
  });

  it("is the pool's: set on one store, every store of the pool credits with it", async () => {
    const cafe = await storeWithPeriod(null);
    const branch = await s.services.stores.create({ name: "Branch", unit: "point", pool: cafe.id });
    await s.services.stores.set(branch.id, { expiryDays: 7 });
    expect((await s.services.stores.get(cafe.id)).expiry_days).toBe(7);
    at("2030-01-10T03:00:00Z");
    await call(cafe, "save", { number: "010-3400-0002", count: 1 });
    expect(await lotsOf(cafe, "01034000002")).toEqual([[1, "2030-01-17"]]);
  });

  it("a pool without a period answers as before: no lots, no 소멸, nothing added to balance", async () => {
    const cafe = await storeWithPeriod(null);
    at("2030-01-10T03:00:00Z");
    const saved = await call(cafe, "save", { number: "010-3400-0003", count: 3 });
    at("2040-01-10T03:00:00Z");
    expect(await call(cafe, "balance", { number: "010-3400-0003" })).toEqual({
      result: true,
      msg: "ok",
      member_no: saved.member_no,
      total_count: 3,
    });
    expect(await call(cafe, "balance", { number: "010-3400-0003", with_expiry: 1 })).toMatchObject({ total_count: 3, expiring: [] });
    expect(await lotsOf(cafe, "01034000003")).toEqual([]);
  });
});

describe("setting the period", () => {
  const admin = (method: "PATCH" | "POST", url: string, payload: object) =>
    s.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });

  it("store set --expiry-days sets the pool's for every store of it; none removes it; the admin API does the same", async () => {
    const cafe = await storeWithPeriod(null);
    const branch = await s.services.stores.create({ name: "Branch", pool: cafe.id });
    const set = await stampd(["store", "set", "--id", String(branch.id), "--expiry-days", "365", "--json"], s.database.env);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ id: branch.id, expiry_days: 365 });
    const list = JSON.parse((await stampd(["store", "list", "--json"], s.database.env)).stdout) as {
      id: number;
      expiry_days: number | null;
    }[];
    expect(list.filter((x) => x.id === cafe.id || x.id === branch.id).map((x) => x.expiry_days)).toEqual([365, 365]);
    const none = await stampd(["store", "set", "--id", String(cafe.id), "--expiry-days", "none", "--json"], s.database.env);
    expect(JSON.parse(none.stdout)).toMatchObject({ expiry_days: null });
    const api = await admin("PATCH", `/admin/stores/${cafe.id}`, { expiryDays: 30 });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toMatchObject({ expiry_days: 30 });
    const created = await admin("POST", "/admin/stores", { name: "New", expiryDays: 7 });
    expect(created.json()).toMatchObject({ expiry_days: 7 });
  });

  it("refuses a period outside 1..3650 or not a whole number, with a clear error, and changes nothing", async () => {
    const cafe = await storeWithPeriod(30);
    const before = await s.services.stores.get(cafe.id);
    for (const bad of ["0", "3651", "-1", "1.5", "forever"]) {
      const cli = await stampd(["store", "set", "--id", String(cafe.id), "--expiry-days", bad, "--daily-limit", "9"], s.database.env);
      expect(cli.code, bad).not.toBe(0);
      expect(cli.stderr, bad).toMatch(/--expiry-days: must be a whole number/);
      const api = await admin("PATCH", `/admin/stores/${cafe.id}`, { expiryDays: bad, dailyLimit: 9 });
      expect(api.statusCode, bad).toBe(400);
      expect(api.body, bad).toMatch(/expiryDays/);
    }
    // The database's CHECK is the backstop.
    await expect(s.db.query(Prisma.sql`UPDATE pool SET expiry_days = 0 WHERE id = ${before.pool}`)).rejects.toThrow();
    expect(await s.services.stores.get(cafe.id)).toEqual(before);
  });
});

describe("stampd verify", () => {
  let v: TestServer;
  const sql = (text: string) => v.db.prisma.$executeRawUnsafe(text);
  const problems = async () => (await v.services.verify()).problems;
  /** The one account's lots, by id: one spent in part, one expired in part, one open. */
  let lots: { id: number; accountId: number }[];

  beforeEach(async () => {
    const vclock = { now: new Date("2030-01-10T03:00:00Z") };
    v = await startTestServer({}, { clock: () => vclock.now, webhookWorker: false });
    const store = await v.services.stores.create({ name: "Audit", expiryDays: 1 });
    const p = { id: store.id, auth_code: store.auth_code, device: "openapi", number: "01035000001" };
    await v.form("/api/open/save", { ...p, count: 5 });
    await v.form("/api/open/use", { ...p, count: 2 });
    vclock.now = new Date("2030-01-15T03:00:00Z");
    await v.form("/api/open/save", { ...p, count: 4 });
    lots = await v.db.prisma.ledgerLot.findMany({ orderBy: { id: "asc" }, select: { id: true, accountId: true } });
    expect(lots).toHaveLength(2);
  });
  afterEach(() => v?.stop());

  it("is clean after saves, uses and an expiry", async () => {
    expect(await problems()).toEqual([]);
  });

  it("reports a lot whose remainder was changed", async () => {
    await sql(`UPDATE ledger_lot SET remaining = remaining - 1 WHERE id = ${lots[1]!.id}`);
    expect(await problems()).toEqual([`account ${lots[1]!.accountId}: expiring 4 but its lots hold 3 (balance 4)`]);
  });

  it("reports a lot that claims more than its credit", async () => {
    await sql(`ALTER TABLE ledger_lot DROP CONSTRAINT ledger_lot_remaining_check`);
    await sql(`UPDATE ledger_lot SET amount = 3 WHERE id = ${lots[1]!.id}`);
    expect(await problems()).toContain(`lot ${lots[1]!.id}: remaining 4 and expired 0 outside its credit of 3`);
  });

  it("reports an expire row that does not match what its lots held", async () => {
    await sql(`UPDATE ledger_lot SET expired = 2 WHERE id = ${lots[0]!.id}`);
    const expire = await v.db.prisma.ledgerEntry.findFirstOrThrow({ where: { kind: "expire" } });
    expect(await problems()).toEqual([`expire entry ${expire.id}: delta -3 but its lots had 2 left`]);
  });

  it("reports a lot credited by a use", async () => {
    const use = await v.db.prisma.ledgerEntry.findFirstOrThrow({ where: { kind: "use" } });
    await sql(`DROP INDEX ledger_lot_entry_id_key`);
    await sql(`UPDATE ledger_lot SET entry_id = ${use.id} WHERE id = ${lots[1]!.id}`);
    expect(await problems()).toContain(`lot ${lots[1]!.id}: entry ${use.id} (use, delta -2) is not a credit of 4`);
  });
});
