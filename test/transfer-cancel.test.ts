// The OPEN API's extensions (shared/spec/stampang-open-api.md, "Beyond the original"):
// transfers (양도) between members and reversals (취소) of a history row, over real HTTP, on the
// embedded database or on PostgreSQL when DATABASE_URL is set.
import http from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { expectFailure } from "./support/open-api.js";
import { until } from "./support/wait.js";

type Store = { id: number; auth_code: string };
type Params = Record<string, string | number>;

let s: TestServer;
let cafe: Store;
let branch: Store;
let elsewhere: Store;

const call = (store: Store, path: string, params: Params) =>
  s.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });
const balanceOf = async (store: Store, number: string) => (await call(store, "balance", { number })).total_count;
const historyOf = async (store: Store, number: string) => (await call(store, "history", { number, count: 100 })).list;
/** The `id` of the newest history row of a member. */
const newestRow = async (store: Store, number: string) => (await historyOf(store, number))[0].id as number;
const expectVerifyClean = async () => expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });

beforeAll(async () => {
  s = await startTestServer();
  cafe = await s.services.stores.create({ name: "Cafe", loginId: "cafe" });
  branch = await s.services.stores.create({ name: "Cafe", branch: "Gangnam", loginId: "cafe-gangnam", pool: cafe.id });
  elsewhere = await s.services.stores.create({ name: "Bakery", loginId: "bakery" });
});
afterAll(() => s?.stop());

describe("transfer (양도)", () => {
  it("moves 3 from A to B: both balances change and both histories show 양도", async () => {
    const a = await call(cafe, "save", { number: "010-2000-0001", count: 5 });
    const b = await call(cafe, "save", { number: "010-2000-0002", count: 1 });
    const r = await call(cafe, "transfer", { number: "010-2000-0001", to_number: "010-2000-0002", count: 3 });
    expect(r).toEqual({ result: true, msg: "ok", member_no: a.member_no, total_point: 2, to_member_no: b.member_no, to_total_point: 4 });
    expect(await balanceOf(cafe, "01020000001")).toBe(2);
    expect(await balanceOf(cafe, "01020000002")).toBe(4);

    const [given] = await historyOf(cafe, "01020000001");
    const [received] = await historyOf(cafe, "01020000002");
    expect(given).toMatchObject({ type: 1, count: 3, content: "양도", login_id: "cafe", place: "Cafe" });
    expect(received).toMatchObject({ type: 0, count: 3, content: "양도", login_id: "cafe", place: "Cafe" });
    expect(received.id).not.toBe(given.id);
    await expectVerifyClean();
  });

  it("writes two rows that name each other", async () => {
    await call(cafe, "save", { number: "010-2001-0001", count: 5 });
    await call(cafe, "save", { number: "010-2001-0002", count: 1 });
    await call(cafe, "transfer", { number: "010-2001-0001", to_number: "010-2001-0002", count: 3 });
    const given = await newestRow(cafe, "01020010001");
    const received = await newestRow(cafe, "01020010002");
    const rows = await s.db.prisma.ledgerEntry.findMany({ where: { id: { in: [given, received] } }, orderBy: { id: "asc" } });
    expect(rows.map((e) => [e.kind, e.delta, e.counterpartId])).toEqual([
      ["transfer", -3, received],
      ["transfer", 3, given],
    ]);
  });

  it("registers a receiver phone not yet known, who then holds the stamps", async () => {
    await call(cafe, "save", { number: "010-2002-0001", count: 2 });
    const r = await call(cafe, "transfer", { number: "01020020001", to_number: "+82 10-2002-0003", count: 1 });
    expect(r).toEqual({
      result: true,
      msg: "ok",
      member_no: expect.any(Number),
      total_point: 1,
      to_member_no: expect.any(Number),
      to_total_point: 1,
    });
    expect(await call(cafe, "balance", { number: "01020020003" })).toEqual({
      result: true,
      msg: "ok",
      member_no: r.to_member_no,
      total_count: 1,
    });
  });

  it("names both sides by member number, over GET and JSON, and from a branch of the chain", async () => {
    await call(cafe, "save", { number: "010-2003-0002", count: 4 });
    await call(cafe, "save", { number: "010-2003-0003", count: 1 });
    const giver = (await call(cafe, "balance", { number: "01020030002" })).member_no;
    const receiver = (await call(cafe, "balance", { number: "01020030003" })).member_no;
    const byGet = await s.get("/api/open/transfer", {
      id: branch.id,
      auth_code: branch.auth_code,
      device: "openapi",
      type: "no",
      number: giver,
      to_type: "no",
      to_number: receiver,
      count: "2",
    });
    expect(byGet).toMatchObject({ result: true, member_no: giver, total_point: 2, to_member_no: receiver, to_total_point: 3 });
    const byJson = await s.json("/api/open/transfer", {
      id: cafe.id,
      auth_code: cafe.auth_code,
      device: "openapi",
      type: "no",
      number: receiver,
      to_number: "010-2003-0002",
      count: 1,
    });
    expect(byJson).toMatchObject({ result: true, member_no: receiver, total_point: 2, to_member_no: giver, to_total_point: 3 });
    expect((await historyOf(cafe, "01020030002"))[1]).toMatchObject({
      login_id: "cafe-gangnam",
      place: "Gangnam",
      type: 1,
      content: "양도",
    });
  });

  it("moves balances of the store's pool only", async () => {
    await call(cafe, "save", { number: "01020040002", count: 1 });
    await call(elsewhere, "save", { number: "01020040002", count: 7 });
    await call(cafe, "transfer", { number: "01020040002", to_number: "01020040001", count: 1 });
    expect(await balanceOf(elsewhere, "01020040002")).toBe(7);
    expect((await call(elsewhere, "balance", { number: "01020040001" })).code).toBe("MEMBER_NOT_FOUND");
    await expectVerifyClean();
  });

  describe("failures change nothing", () => {
    const snapshot = async () => [await balanceOf(cafe, "01020050001"), await balanceOf(cafe, "01020050002")];
    let before: number[];
    beforeAll(async () => {
      // The giver and receiver of this block's failed transfers, made here so that any of its tests runs alone.
      await call(cafe, "save", { number: "010-2005-0001", count: 3 });
      await call(cafe, "save", { number: "010-2005-0002", count: 1 });
      before = await snapshot();
    });

    it("INVALID_PARAM: giver and receiver the same member, by phone or by member number", async () => {
      const no = (await call(cafe, "balance", { number: "01020050001" })).member_no;
      for (const to of [{ to_number: "010-2005-0001" }, { to_type: "no", to_number: no }] as Params[]) {
        expectFailure(
          await call(cafe, "transfer", { number: "01020050001", count: 1, ...to }),
          "INVALID_PARAM",
          "요청 값이 올바르지 않습니다 (to_number)",
        );
      }
    });

    it.each([
      ["to_type", { to_type: "email", to_number: "01020050002" }],
      ["to_number", { to_number: "" }],
      ["to_number", { to_type: "no", to_number: "abc" }],
      ["to_number", {}],
    ])("INVALID_PARAM: bad %s", async (which, bad) => {
      expectFailure(await call(cafe, "transfer", { number: "01020050001", count: 1, ...bad }), "INVALID_PARAM", `(${which})`);
    });

    it("INVALID_PHONE: a receiver phone that is not a mobile number", async () => {
      expectFailure(
        await call(cafe, "transfer", { number: "01020050001", to_number: "02-123-4567", count: 1 }),
        "INVALID_PHONE",
        "휴대폰 번호가 올바르지 않습니다",
      );
    });

    it.each([0, -1, 1.5, "x", 101])("INVALID_COUNT: %s on a stamp store", async (count) => {
      expectFailure(
        await call(cafe, "transfer", { number: "01020050001", to_number: "01020050002", count }),
        "INVALID_COUNT",
        "적립/차감 수가 올바르지 않습니다",
      );
    });

    it("MEMBER_NOT_FOUND: an unknown giver (whose receiver is not registered) or an unknown receiver number", async () => {
      expectFailure(
        await call(cafe, "transfer", { number: "01029999999", to_number: "01029999998", count: 1 }),
        "MEMBER_NOT_FOUND",
        "등록되지 않은 고객입니다",
      );
      expect((await call(cafe, "balance", { number: "01029999998" })).code).toBe("MEMBER_NOT_FOUND");
      expectFailure(
        await call(cafe, "transfer", { number: "01020050001", to_type: "no", to_number: 987654, count: 1 }),
        "MEMBER_NOT_FOUND",
        "등록되지 않은 고객입니다",
      );
    });

    it("INSUFFICIENT_BALANCE: more than the giver holds, and a new receiver phone is not registered", async () => {
      const r = await call(cafe, "transfer", { number: "01020050001", to_number: "01029999997", count: before[0]! + 1 });
      expectFailure(r, "INSUFFICIENT_BALANCE", "보유 스탬프(포인트)가 부족합니다");
      expect((await call(cafe, "balance", { number: "01029999997" })).code).toBe("MEMBER_NOT_FOUND");
    });

    it("MEMBER_NOT_FOUND: a giver known only to another pool", async () => {
      await call(elsewhere, "save", { number: "01020050009", count: 5 });
      expectFailure(
        await call(cafe, "transfer", { number: "01020050009", to_number: "01020050001", count: 1 }),
        "MEMBER_NOT_FOUND",
        "등록되지 않은 고객입니다",
      );
    });

    it("AUTH_FAILED: a wrong auth_code", async () => {
      const r = await s.form("/api/open/transfer", {
        id: cafe.id,
        auth_code: "wrong",
        device: "openapi",
        number: "01020050001",
        to_number: "01020050002",
        count: 1,
      });
      expectFailure(r, "AUTH_FAILED", "인증에 실패했습니다");
    });

    afterAll(async () => {
      expect(await snapshot()).toEqual(before);
      await expectVerifyClean();
    });
  });
});

describe("cancel (취소)", () => {
  it("undoes a save with a 취소 row of type 1; the original row stays", async () => {
    await call(cafe, "save", { number: "010-3000-0001", count: 10 });
    const saved = await call(cafe, "save", { number: "010-3000-0001", count: 4 });
    const row = await newestRow(cafe, "01030000001");
    const r = await call(cafe, "cancel", { number: "01030000001", history_id: row });
    expect(r).toEqual({ result: true, msg: "ok", member_no: saved.member_no, total_point: 10 });
    const [undo, original] = await historyOf(cafe, "01030000001");
    expect(undo).toMatchObject({ type: 1, count: 4, content: "취소" });
    expect(original).toMatchObject({ id: row, type: 0, count: 4, content: "적립" });
    await expectVerifyClean();
  });

  it("undoes a use with a 취소 row of type 0, over GET and JSON, from a branch", async () => {
    await call(cafe, "save", { number: "01030010001", count: 10 });
    await call(cafe, "use", { number: "01030010001", count: 3 });
    const row = await newestRow(cafe, "01030010001");
    const r = await s.get("/api/open/cancel", {
      id: branch.id,
      auth_code: branch.auth_code,
      device: "openapi",
      number: "01030010001",
      history_id: row,
    });
    expect(r).toMatchObject({ result: true, total_point: 10 });
    expect((await historyOf(cafe, "01030010001"))[0]).toMatchObject({ type: 0, count: 3, content: "취소", login_id: "cafe-gangnam" });
    const again = await s.json("/api/open/cancel", {
      id: cafe.id,
      auth_code: cafe.auth_code,
      device: "openapi",
      number: "01030010001",
      history_id: row,
    });
    expectFailure(again, "ALREADY_REVERSED", "이미 취소된 내역입니다");
  });

  it("ALREADY_REVERSED: a row reversed already", async () => {
    await call(cafe, "save", { number: "01030020001", count: 10 });
    await call(cafe, "save", { number: "01030020001", count: 2 });
    const row = await newestRow(cafe, "01030020001");
    expect((await call(cafe, "cancel", { number: "01030020001", history_id: row })).result).toBe(true);
    expectFailure(await call(cafe, "cancel", { number: "01030020001", history_id: row }), "ALREADY_REVERSED", "이미 취소된 내역입니다");
    expect(await balanceOf(cafe, "01030020001")).toBe(10);
  });

  it("HISTORY_NOT_FOUND: unknown row, another member's, another pool's, a transfer or a reversal row", async () => {
    // A reversal row of this member's own, to try undoing.
    await call(cafe, "save", { number: "01030030001", count: 2 });
    await call(cafe, "cancel", { number: "01030030001", history_id: await newestRow(cafe, "01030030001") });
    await call(cafe, "save", { number: "01030030002", count: 5 });
    const othersRow = await newestRow(cafe, "01030030002");
    await call(elsewhere, "save", { number: "01030030001", count: 5 });
    const otherPoolRow = await newestRow(elsewhere, "01030030001");
    await call(cafe, "transfer", { number: "01030030002", to_number: "01030030001", count: 1 });
    const transferRow = await newestRow(cafe, "01030030001");
    const reversalRow = (await historyOf(cafe, "01030030001")).find((x: { content: string }) => x.content === "취소").id;
    const before = await balanceOf(cafe, "01030030001");
    for (const history_id of [2147483647, othersRow, otherPoolRow, transferRow, reversalRow]) {
      expectFailure(await call(cafe, "cancel", { number: "01030030001", history_id }), "HISTORY_NOT_FOUND", "내역을 찾을 수 없습니다");
    }
    expect(await balanceOf(cafe, "01030030001")).toBe(before);
  });

  it("INSUFFICIENT_BALANCE: undoing a save whose stamps were already used", async () => {
    await call(cafe, "save", { number: "010-3000-0003", count: 3 });
    const save = await newestRow(cafe, "01030000003");
    await call(cafe, "use", { number: "01030000003", count: 2 });
    const use = await newestRow(cafe, "01030000003");
    expectFailure(
      await call(cafe, "cancel", { number: "01030000003", history_id: save }),
      "INSUFFICIENT_BALANCE",
      "보유 스탬프(포인트)가 부족합니다",
    );
    expect(await balanceOf(cafe, "01030000003")).toBe(1);
    // Once the use is undone, so can the save be.
    expect(await call(cafe, "cancel", { number: "01030000003", history_id: use })).toMatchObject({ result: true, total_point: 3 });
    expect(await call(cafe, "cancel", { number: "01030000003", history_id: save })).toMatchObject({ result: true, total_point: 0 });
    await expectVerifyClean();
  });

  it("INSUFFICIENT_BALANCE: undoing a save whose stamps were given away", async () => {
    await call(cafe, "save", { number: "010-3000-0004", count: 2 });
    const save = await newestRow(cafe, "01030000004");
    await call(cafe, "transfer", { number: "01030000004", to_number: "01030000002", count: 2 });
    expectFailure(await call(cafe, "cancel", { number: "01030000004", history_id: save }), "INSUFFICIENT_BALANCE", "부족합니다");
  });

  it("MEMBER_NOT_FOUND and INVALID_PARAM (history_id)", async () => {
    expectFailure(await call(cafe, "cancel", { number: "01039999999", history_id: 1 }), "MEMBER_NOT_FOUND", "등록되지 않은 고객입니다");
    for (const history_id of ["", "abc", 0, -3, 1.5, "2147483648"]) {
      expectFailure(await call(cafe, "cancel", { number: "01030000001", history_id }), "INVALID_PARAM", "(history_id)");
    }
    expectFailure(await call(cafe, "cancel", { number: "01030000001" }), "INVALID_PARAM", "(history_id)");
  });
});

describe("idempotency keys and the daily limit", () => {
  it("a retried transfer answers the first answer and moves the stamps once", async () => {
    await call(cafe, "save", { number: "010-4000-0001", count: 6 });
    const p = { number: "01040000001", to_number: "01040000002", count: 2 };
    const first = await call(cafe, "transfer", { ...p, idempotency_key: "pos-t-1" });
    expect(first).toMatchObject({ result: true, total_point: 4, to_total_point: 2 });
    await call(cafe, "save", { number: "01040000002", count: 1 });
    expect(await call(cafe, "transfer", { ...p, idempotency_key: "pos-t-1" })).toEqual(first);
    expect(
      await s.json(
        "/api/open/transfer",
        { id: cafe.id, auth_code: cafe.auth_code, device: "openapi", ...p },
        { "idempotency-key": "pos-t-1" },
      ),
    ).toEqual(first);
    expect(await balanceOf(cafe, "01040000001")).toBe(4);
    expect(await balanceOf(cafe, "01040000002")).toBe(3);
    expectFailure(
      await call(cafe, "transfer", { ...p, count: 1, idempotency_key: "pos-t-1" }),
      "DUPLICATE_REQUEST",
      "이미 처리된 요청입니다",
    );
    expectFailure(
      await call(cafe, "save", { number: "01040000001", count: 2, idempotency_key: "pos-t-1" }),
      "DUPLICATE_REQUEST",
      "이미 처리된 요청입니다",
    );
  });

  it("a retried cancel answers the first answer, not ALREADY_REVERSED", async () => {
    await call(cafe, "save", { number: "01040010002", count: 2 });
    await call(cafe, "save", { number: "01040010002", count: 1 });
    const row = await newestRow(cafe, "01040010002");
    const first = await call(cafe, "cancel", { number: "01040010002", history_id: row, idempotency_key: "pos-c-1" });
    expect(first).toMatchObject({ result: true, total_point: 2 });
    await call(cafe, "save", { number: "01040010002", count: 5 });
    expect(await call(cafe, "cancel", { number: "01040010002", history_id: row, idempotency_key: "pos-c-1" })).toEqual(first);
    const other = await newestRow(cafe, "01040010002");
    expectFailure(
      await call(cafe, "cancel", { number: "01040010002", history_id: other, idempotency_key: "pos-c-1" }),
      "DUPLICATE_REQUEST",
      "이미 처리된 요청입니다",
    );
    expect(await balanceOf(cafe, "01040010002")).toBe(7);
  });

  it("transfers and cancels count against the daily limit; over it, nothing changes", async () => {
    const tiny = await s.services.stores.create({ name: "Cafe", branch: "Kiosk", dailyLimit: 4, pool: cafe.id });
    await call(cafe, "save", { number: "010-4000-0003", count: 5 });
    const row = await newestRow(cafe, "01040000003");
    expect((await call(tiny, "transfer", { number: "01040000003", to_number: "01040000004", count: 1 })).result).toBe(true);
    expect((await call(tiny, "transfer", { number: "01040000003", to_number: "01040000003", count: 1 })).code).toBe("INVALID_PARAM");
    expect((await call(tiny, "cancel", { number: "01040000003", history_id: "x" })).code).toBe("INVALID_PARAM");
    expect((await call(tiny, "cancel", { number: "01040000003", history_id: row })).code).toBe("INSUFFICIENT_BALANCE");
    expectFailure(
      await call(tiny, "transfer", { number: "01040000003", to_number: "01040000004", count: 1 }),
      "RATE_LIMITED",
      "일일 호출 한도를 초과했습니다",
    );
    expectFailure(
      await call(tiny, "cancel", { number: "01040000004", history_id: await newestRow(cafe, "01040000004") }),
      "RATE_LIMITED",
      "일일 호출 한도를 초과했습니다",
    );
    expect(await balanceOf(cafe, "01040000003")).toBe(4);
    expect(await balanceOf(cafe, "01040000004")).toBe(1);
    const usage = await s.db.prisma.dailyUsage.findMany({ where: { storeId: tiny.id } });
    expect(usage.map((u) => u.calls)).toEqual([4]);
  });
});

describe("at the same moment", () => {
  /** SQL that locks the accounts of these phones (01050000001, ...). */
  const accountsOf = (phones: string[]) =>
    `SELECT 1 FROM ledger_account a JOIN member m ON m.id = a.member_id
      WHERE m.phone IN (${phones.map((p) => `'+82${p.slice(1)}'`).join(", ")}) FOR UPDATE OF a`;

  // On PostgreSQL, other connections hold rows locked so that requests queue behind them and go
  // on at a chosen instant. The embedded database has one connection and runs requests one
  // after another: there these helpers do nothing.
  const onPostgres = !!process.env.DATABASE_URL;
  const connect = async () => {
    const c = new pg.Client({ connectionString: s.config.DATABASE_URL });
    await c.connect();
    return c;
  };

  /** Holds the rows that `lockSql` locks, in an open transaction, until released. */
  async function hold(lockSql: string): Promise<{ release(): Promise<void> }> {
    if (!onPostgres) return { release: async () => {} };
    const holder = await connect();
    await holder.query("BEGIN");
    await holder.query(lockSql);
    return { release: () => holder.query("COMMIT").then(() => holder.end()) };
  }

  /** Waits until `n` statements wait for a lock that a live transaction holds. */
  async function waiting(n: number): Promise<void> {
    if (!onPostgres) return;
    const observer = await connect();
    try {
      await until(`${n} statements waiting for a lock`, async () => {
        const { rows } = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0`);
        return rows[0].n === n;
      });
    } finally {
      await observer.end();
    }
  }

  /** Sends the requests while the rows of `lockSql` are held, and lets them all go at once. */
  async function atOneInstant<T>(lockSql: string, requests: () => Promise<T>[]): Promise<T[]> {
    const held = await hold(lockSql);
    const sent = requests();
    await waiting(sent.length);
    await held.release();
    return Promise.all(sent);
  }

  let chain: Store[];
  const at = (i: number) => chain[i % chain.length]!;
  beforeAll(async () => {
    const head = await s.services.stores.create({ name: "Mart", loginId: "mart", unit: "point" });
    chain = [head];
    for (const n of [1, 2, 3, 4, 5, 6, 7])
      chain.push(await s.services.stores.create({ name: "Mart", branch: `Branch ${n}`, unit: "point", pool: head.id }));
  });

  it("many opposite transfers between two members, from several branches, all complete without deadlock", async () => {
    await call(at(0), "save", { number: "010-5000-0001", count: 1000 });
    await call(at(0), "save", { number: "010-5000-0002", count: 1000 });
    const rounds = 40;
    const results = await Promise.all(
      Array.from({ length: rounds }, (_, i) =>
        i % 2 === 0
          ? call(at(i), "transfer", { number: "01050000001", to_number: "01050000002", count: 3 })
          : call(at(i + 1), "transfer", { number: "01050000002", to_number: "01050000001", count: 2 }),
      ),
    );
    expect(results.filter((r) => r.result !== true)).toEqual([]);
    expect(await balanceOf(at(0), "01050000001")).toBe(1000 - 3 * 20 + 2 * 20);
    expect(await balanceOf(at(0), "01050000002")).toBe(1000 + 3 * 20 - 2 * 20);
    expect((await historyOf(at(0), "01050000001")).filter((x: { content: string }) => x.content === "양도")).toHaveLength(rounds);
    await expectVerifyClean();
  });

  it("opposite transfers do not deadlock when their accounts come free one after the other", async () => {
    const [a, b] = ["01050000007", "01050000008"];
    for (const m of [a, b]) await call(at(0), "save", { number: m, count: 50 });
    const holdA = await hold(accountsOf([a]));
    const holdB = await hold(accountsOf([b]));
    const sent = [
      call(at(0), "transfer", { number: a, to_number: b, count: 1 }),
      call(at(1), "transfer", { number: b, to_number: a, count: 1 }),
    ];
    await waiting(2);
    // Were each transfer to lock its giver's account first, the first would now take a's and
    // wait for b's, and the second, first in line for b's, would take it and wait for a's.
    await holdA.release();
    await waiting(2);
    await holdB.release();
    expect((await Promise.all(sent)).filter((r) => r.result !== true)).toEqual([]);
    expect(await Promise.all([a, b].map((m) => balanceOf(at(0), m)))).toEqual([50, 50]);
    await expectVerifyClean();
  });

  it("opposite transfers released at one instant do not deadlock", async () => {
    const members = ["01050000017", "01050000018"];
    for (const m of members) await call(at(0), "save", { number: m, count: 50 });
    const results = await atOneInstant(accountsOf(members), () =>
      chain.map((store, i) => call(store, "transfer", { number: members[i % 2]!, to_number: members[(i + 1) % 2]!, count: 1 })),
    );
    expect(results.filter((r) => r.result !== true)).toEqual([]);
    expect(await Promise.all(members.map((m) => balanceOf(at(0), m)))).toEqual([50, 50]);
    await expectVerifyClean();
  });

  it("many givers to one new phone: it is registered once and receives every transfer", async () => {
    const givers = Array.from({ length: 8 }, (_, i) => `0105100${String(i).padStart(4, "0")}`);
    for (const g of givers) await call(at(0), "save", { number: g, count: 10 });
    // Held back on their givers' accounts, every transfer starts before the receiver exists.
    const results = await atOneInstant(accountsOf(givers), () =>
      givers.map((g, i) => call(at(i), "transfer", { number: g, to_number: "01051110000", count: 4 })),
    );
    expect(results.filter((r) => r.result !== true)).toEqual([]);
    expect(new Set(results.map((r) => r.to_member_no)).size).toBe(1);
    expect(await balanceOf(at(0), "01051110000")).toBe(32);
    await expectVerifyClean();
  });

  it("one save reversed by several branches at once is reversed once; the others are told ALREADY_REVERSED", async () => {
    await call(at(0), "save", { number: "010-5000-0003", count: 7 });
    const row = await newestRow(at(0), "01050000003");
    const results = await atOneInstant(accountsOf(["01050000003"]), () =>
      chain.map((store) => call(store, "cancel", { number: "01050000003", history_id: row })),
    );
    expect(results.filter((r) => r.result === true)).toEqual([{ result: true, msg: "ok", member_no: expect.any(Number), total_point: 0 }]);
    expect(results.filter((r) => r.result !== true).map((r) => r.code)).toEqual(Array(chain.length - 1).fill("ALREADY_REVERSED"));
    expect(await balanceOf(at(0), "01050000003")).toBe(0);
    expect((await historyOf(at(0), "01050000003")).map((x: { content: string }) => x.content)).toEqual(["취소", "적립"]);
    await expectVerifyClean();
  });

  // Calls of one store queue on its usage counter; those behind the first began before it ended.
  it("one cancel sent several times at once with one idempotency key is applied once and answered alike", async () => {
    await call(at(0), "save", { number: "010-5000-0004", count: 9 });
    const row = await newestRow(at(0), "01050000004");
    const results = await atOneInstant(accountsOf(["01050000004"]), () =>
      Array.from({ length: 6 }, () => call(at(1), "cancel", { number: "01050000004", history_id: row, idempotency_key: "same-moment" })),
    );
    expect(results).toEqual(Array(6).fill({ result: true, msg: "ok", member_no: expect.any(Number), total_point: 0 }));
    expect(await balanceOf(at(0), "01050000004")).toBe(0);
  });

  it("one transfer sent several times at once with one idempotency key is applied once and answered alike", async () => {
    await call(at(0), "save", { number: "010-5000-0005", count: 9 });
    const results = await atOneInstant(accountsOf(["01050000005"]), () =>
      Array.from({ length: 6 }, () =>
        call(at(2), "transfer", { number: "01050000005", to_number: "01050000006", count: 5, idempotency_key: "same-moment" }),
      ),
    );
    expect(results).toEqual(Array(6).fill(results[0]));
    expect(results[0]).toMatchObject({ result: true, total_point: 4, to_total_point: 5 });
    expect(await balanceOf(at(0), "01050000006")).toBe(5);
    await expectVerifyClean();
  });
});

describe("stampd verify", () => {
  let v: TestServer;
  /** The rows of the audited ledger, oldest first (see beforeEach: each test damages its own). */
  let rows: { id: number; accountId: number; kind: string; delta: number }[];
  const sql = (text: string) => v.db.prisma.$executeRawUnsafe(text);
  const problems = async () => (await v.services.verify()).problems;
  const newest = async () => (await v.db.prisma.ledgerEntry.findFirstOrThrow({ orderBy: { id: "desc" } })).id;
  const reversalOf = (row: { id: number; delta: number }, accountId: number) =>
    sql(`INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, reverses_id)
         SELECT ${accountId}, store_id, 'reversal', ${-row.delta}, 0, id FROM ledger_entry WHERE id = ${row.id}`);

  beforeEach(async () => {
    v = await startTestServer();
    const store = await v.services.stores.create({ name: "Audit" });
    const p = { id: store.id, auth_code: store.auth_code, device: "openapi" };
    await v.form("/api/open/save", { ...p, number: "01060000001", count: 5 });
    await v.form("/api/open/save", { ...p, number: "01060000002", count: 5 });
    await v.form("/api/open/transfer", { ...p, number: "01060000001", to_number: "01060000002", count: 2 });
    await v.form("/api/open/use", { ...p, number: "01060000002", count: 1 });
    await v.form("/api/open/cancel", { ...p, number: "01060000002", history_id: await newest() });
    rows = await v.db.prisma.ledgerEntry.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((e) => [e.kind, e.delta])).toEqual([
      ["save", 5],
      ["save", 5],
      ["transfer", -2],
      ["transfer", 2],
      ["use", -1],
      ["reversal", 1],
    ]);
  });
  afterEach(() => v?.stop());

  it("is clean after transfers and reversals", async () => {
    expect(await problems()).toEqual([]);
  });

  it("keeps ledger rows immutable except for marking a row reversed once", async () => {
    const [save, , , , use] = rows;
    await expect(sql(`UPDATE ledger_entry SET delta = delta + 1 WHERE id = ${save!.id}`)).rejects.toThrow(/immutable/);
    await expect(sql(`UPDATE ledger_entry SET reversed = true, delta = delta + 1 WHERE id = ${save!.id}`)).rejects.toThrow(/immutable/);
    await expect(sql(`UPDATE ledger_entry SET reversed = false WHERE id = ${use!.id}`)).rejects.toThrow(/immutable/);
    await expect(sql(`DELETE FROM ledger_entry WHERE id = ${use!.id}`)).rejects.toThrow(/immutable/);
    await expect(reversalOf(use!, use!.accountId)).rejects.toThrow(/ledger_entry_reverses_id_key/);
    expect(await problems()).toEqual([]);
  });

  it("reports a transfer row whose counterpart does not name it back", async () => {
    const save = rows[0]!;
    await sql(`INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, counterpart_id)
               SELECT ${rows[1]!.accountId}, store_id, 'transfer', 5, 0, id FROM ledger_entry WHERE id = ${save.id}`);
    expect(await problems()).toContain(`transfer entry ${await newest()}: entry ${save.id} does not name it back`);
  });

  it("reports a row reversed twice (were the unique index gone), and a mark without a reversal", async () => {
    const [, otherSave, , , use] = rows;
    await sql(`DROP INDEX ledger_entry_reverses_id_key`);
    await reversalOf(use!, use!.accountId);
    await sql(`ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_immutable`);
    await sql(`UPDATE ledger_entry SET reversed = true WHERE id = ${otherSave!.id}`);
    await sql(`ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_immutable`);
    const found = await problems();
    expect(found).toContain(`entry ${use!.id}: reversed by 2 rows, marked reversed`);
    expect(found).toContain(`entry ${otherSave!.id}: reversed by 0 rows, marked reversed`);
  });

  it("reports a reversal of another account's row, and of a transfer", async () => {
    const [save, , , received] = rows;
    const elsewhere = rows[1]!.accountId;
    await reversalOf(save!, elsewhere);
    expect(await problems()).toContain(`reversal entry ${await newest()}: reverses entry ${save!.id} of another account`);
    await reversalOf(received!, received!.accountId);
    expect(await problems()).toContain(`reversal entry ${await newest()}: reverses entry ${received!.id}, a transfer`);
  });
});

describe("webhook events", () => {
  let w: TestServer;
  const bodies: any[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(204).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    w = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true" });
  });
  afterAll(async () => {
    await w?.stop();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it("a transfer sends TRANSFER for both rows, a reversal sends REVERSAL", async () => {
    const store = await w.services.stores.create({ name: "Hooked" });
    await w.services.webhooks.set(store.id, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
    const p = { id: store.id, auth_code: store.auth_code, device: "openapi" };
    await w.form("/api/open/save", { ...p, number: "01070000001", count: 5 });
    const moved = await w.form("/api/open/transfer", { ...p, number: "01070000001", to_number: "01070000002", count: 3 });
    await w.form("/api/open/use", { ...p, number: "01070000001", count: 1 });
    const use = (await w.form("/api/open/history", { ...p, number: "01070000001", count: 1 })).list[0].id;
    expect(await w.form("/api/open/cancel", { ...p, number: "01070000001", history_id: use })).toMatchObject({
      result: true,
      total_point: 2,
    });
    await until("five webhook bodies", () => bodies.length === 5);
    expect(bodies.map((b) => [b.action, b.change, b.point.memberNo, b.point.balance]).sort()).toEqual([
      ["REVERSAL", 1, moved.member_no, 2],
      ["SAVE", 5, moved.member_no, 5],
      ["TRANSFER", -3, moved.member_no, 2],
      ["TRANSFER", 3, moved.to_member_no, 3],
      ["USE", -1, moved.member_no, 1],
    ]);
  });
});
