// The OPEN API contract (shared/spec/stampang-open-api.md) over real HTTP, on the embedded
// database or on PostgreSQL when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { expectFailure } from "./support/open-api.js";

let s: TestServer;
let stamp: { id: number; auth_code: string };
let point: { id: number; auth_code: string };
const base = () => ({ id: stamp.id, auth_code: stamp.auth_code, device: "openapi" });

beforeAll(async () => {
  s = await startTestServer();
  stamp = await s.services.stores.create({ name: "Cafe", loginId: "cafe" });
  point = await s.services.stores.create({ name: "Bakery", loginId: "bakery", unit: "point" });
});
afterAll(() => s?.stop());

/** A stamp store of one test's own, as the OPEN API's id, auth_code and device. */
async function ownStore(): Promise<{ id: number; auth_code: string; device: string }> {
  const store = await s.services.stores.create({ name: "Cafe" });
  return { id: store.id, auth_code: store.auth_code, device: "openapi" };
}

/** The history the tests below build on for 010-1111-0001: save 2, save 3, use 1, save 1 (by member number). */
async function customerHistory(p: { id: number; auth_code: string; device: string }, steps: number): Promise<void> {
  const changes: [string, Record<string, string | number>][] = [
    ["save", { number: "010-1111-0001", count: 2 }],
    ["save", { number: "01011110001", count: 3 }],
    ["use", { number: "01011110001", count: 1 }],
    ["save", { number: "01011110001", count: 1 }],
  ];
  for (const [path, params] of changes.slice(0, steps)) expect((await s.form(`/api/open/${path}`, { ...p, ...params })).result).toBe(true);
}

describe("save, use, balance, history", () => {
  it("saves for a new phone, registering the member", async () => {
    const p = await ownStore();
    const r = await s.form("/api/open/save", { ...p, type: "phone", number: "010-1111-0001", count: 2 });
    expect(r).toEqual({ result: true, msg: "ok", member_no: expect.any(Number), total_point: 2 });
  });

  it("treats 01011110001, 010-1111-0001 and +82 10-1111-0001 as one customer", async () => {
    const p = await ownStore();
    await customerHistory(p, 1);
    const a = await s.get("/api/open/balance", { ...p, number: "01011110001" });
    const b = await s.json("/api/open/balance", { ...p, number: "+82 10-1111-0001" });
    const c = await s.form("/api/open/balance", { ...p, number: "(010) 1111.0001" });
    expect(a).toEqual({ result: true, msg: "ok", member_no: a.member_no, total_count: 2 });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it("accepts count as a number in JSON and as a string in forms", async () => {
    const p = await ownStore();
    await customerHistory(p, 1);
    const r1 = await s.json("/api/open/save", { ...p, number: "01011110001", count: 3 });
    const r2 = await s.form("/api/open/use", { ...p, number: "01011110001", count: "1" });
    expect(r1.total_point).toBe(5);
    expect(r2.total_point).toBe(4);
  });

  it("names a member by member number with type=no", async () => {
    const p = await ownStore();
    await customerHistory(p, 3);
    const { member_no } = await s.get("/api/open/balance", { ...p, number: "01011110001" });
    const r = await s.get("/api/open/save", { ...p, type: "no", number: member_no, count: 1 });
    expect(r).toEqual({ result: true, msg: "ok", member_no, total_point: 5 });
  });

  it("lets the body win over the query string", async () => {
    const p = await ownStore();
    await customerHistory(p, 4);
    const res = await fetch(`${s.url}/api/open/balance?number=01099999999&device=nope`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...p, id: String(p.id), number: "01011110001" }).toString(),
    });
    expect(await res.json()).toMatchObject({ result: true, total_count: 5 });
  });

  it("answers a member known only to another pool as it answers a phone never seen (MEMBER_NOT_FOUND)", async () => {
    await s.form("/api/open/save", { id: point.id, auth_code: point.auth_code, device: "openapi", number: "01011110002", count: 10 });
    const r = await s.form("/api/open/balance", { ...base(), number: "01011110002" });
    expect(r).toEqual(await s.form("/api/open/balance", { ...base(), number: "01011119999" }));
    expect(r).toMatchObject({ result: false, code: "MEMBER_NOT_FOUND" });
  });

  it("lists history newest first with the spec's row fields, paged", async () => {
    // The store with login id "cafe": no other test changes 010-1111-0001's balance in it.
    await customerHistory(base(), 4);
    const r = await s.form("/api/open/history", { ...base(), number: "01011110001" });
    expect(r.result).toBe(true);
    expect(r.list.map((x: any) => [x.type, x.count, x.content])).toEqual([
      [0, 1, "적립"],
      [1, 1, "차감"],
      [0, 3, "적립"],
      [0, 2, "적립"],
    ]);
    const row = r.list[0];
    expect(Object.keys(row).sort()).toEqual(["content", "count", "date", "id", "login_id", "place", "type"]);
    expect(row).toMatchObject({ login_id: "cafe", place: "Cafe" });
    expect(row.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const page2 = await s.form("/api/open/history", { ...base(), number: "01011110001", page: 2, count: 3 });
    expect(page2.list.map((x: any) => x.id)).toEqual([r.list[3].id]);
    const beyond = await s.form("/api/open/history", { ...base(), number: "01011110001", page: 9 });
    expect(beyond).toEqual({ result: true, msg: "ok", list: [] });
  });

  it("says which store made each row, with the branch name as place", async () => {
    const p = await ownStore();
    await customerHistory(p, 4);
    const branch = await s.services.stores.create({ name: "Cafe", branch: "Gangnam", loginId: "cafe-gangnam", pool: p.id });
    await s.form("/api/open/save", { id: branch.id, auth_code: branch.auth_code, device: "openapi", number: "01011110001", count: 1 });
    const r = await s.form("/api/open/history", { ...p, number: "01011110001", count: 1 });
    expect(r.list[0]).toMatchObject({ login_id: "cafe-gangnam", place: "Gangnam", count: 1, type: 0 });
    const bal = await s.form("/api/open/balance", { ...p, number: "01011110001" });
    expect(bal.total_count).toBe(6);
  });
});

describe("failure codes", () => {
  it.each([
    ["unknown store", () => ({ ...base(), id: 999999 })],
    ["wrong auth_code", () => ({ ...base(), auth_code: "wrong" })],
    ["missing id", () => ({ auth_code: stamp.auth_code, device: "openapi" })],
    ["missing auth_code", () => ({ id: stamp.id, device: "openapi" })],
  ])("AUTH_FAILED: %s", async (_, params) => {
    const r = await s.form("/api/open/save", { ...params(), number: "01011110001", count: 1 });
    expectFailure(r, "AUTH_FAILED", "인증에 실패했습니다");
  });

  it("AUTH_FAILED: inactive store", async () => {
    const off = await s.services.stores.create({ name: "Closed", active: false });
    const r = await s.form("/api/open/save", { id: off.id, auth_code: off.auth_code, device: "openapi", number: "01011110001", count: 1 });
    expectFailure(r, "AUTH_FAILED", "인증에 실패했습니다");
  });

  it.each([
    ["device", { device: "pos" }],
    ["type", { type: "email" }],
    ["number", { number: "" }],
  ])("INVALID_PARAM: bad %s, named in msg", async (which, bad) => {
    const r = await s.form("/api/open/save", { ...base(), number: "01011110001", count: 1, ...bad });
    expectFailure(r, "INVALID_PARAM", `요청 값이 올바르지 않습니다 (${which})`);
  });

  it("INVALID_PARAM: bad page", async () => {
    const r = await s.form("/api/open/history", { ...base(), number: "01011110001", page: 0 });
    expectFailure(r, "INVALID_PARAM", "(page)");
  });

  it("INVALID_PARAM: malformed JSON body, and a body over the size limit", async () => {
    const bad = await fetch(`${s.url}/api/open/save`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(200);
    expectFailure(await bad.json(), "INVALID_PARAM", "요청 값이 올바르지 않습니다");
    const big = await fetch(`${s.url}/api/open/save`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `memo=${"x".repeat(s.config.BODY_LIMIT + 1)}`,
    });
    expect(big.status).toBe(200);
    expectFailure(await big.json(), "INVALID_PARAM", "요청 값이 올바르지 않습니다");
  });

  it.each(["0101234", "02-123-4567", "not a phone"])("INVALID_PHONE: %s", async (number) => {
    const r = await s.form("/api/open/save", { ...base(), number, count: 1 });
    expectFailure(r, "INVALID_PHONE", "휴대폰 번호가 올바르지 않습니다");
  });

  it.each([0, -1, 1.5, "abc", 101])("INVALID_COUNT: %s on a stamp store", async (count) => {
    const r = await s.form("/api/open/save", { ...base(), number: "01011110001", count });
    expectFailure(r, "INVALID_COUNT", "적립/차감 수가 올바르지 않습니다");
  });

  it("INVALID_COUNT: above the point ceiling on a point store, while 101 is fine there", async () => {
    const p = { id: point.id, auth_code: point.auth_code, device: "openapi", number: "01011110003" };
    expect((await s.form("/api/open/save", { ...p, count: 101 })).total_point).toBe(101);
    expectFailure(await s.form("/api/open/save", { ...p, count: s.config.POINT_COUNT_MAX + 1 }), "INVALID_COUNT", "적립/차감");
  });

  it("INVALID_COUNT: history page size over 100", async () => {
    const r = await s.form("/api/open/history", { ...base(), number: "01011110001", count: 101 });
    expectFailure(r, "INVALID_COUNT", "적립/차감 수가 올바르지 않습니다");
    expect(r).not.toHaveProperty("list");
  });

  it("MEMBER_NOT_FOUND: unknown phone on use, balance and history; unknown member number even on save", async () => {
    for (const path of ["use", "balance", "history"]) {
      expectFailure(
        await s.form(`/api/open/${path}`, { ...base(), number: "01077770000", count: 1 }),
        "MEMBER_NOT_FOUND",
        "등록되지 않은 고객입니다",
      );
    }
    expectFailure(
      await s.form("/api/open/save", { ...base(), type: "no", number: 987654, count: 1 }),
      "MEMBER_NOT_FOUND",
      "등록되지 않은 고객입니다",
    );
    expect(await s.form("/api/open/balance", { ...base(), number: "01077770000" })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
  });

  it("INSUFFICIENT_BALANCE: use more than the balance changes nothing", async () => {
    const p = await ownStore();
    await customerHistory(p, 4);
    const before = await s.form("/api/open/balance", { ...p, number: "01011110001" });
    const r = await s.form("/api/open/use", { ...p, number: "01011110001", count: before.total_count + 1 });
    expectFailure(r, "INSUFFICIENT_BALANCE", "보유 스탬프(포인트)가 부족합니다");
    expect(await s.form("/api/open/balance", { ...p, number: "01011110001" })).toEqual(before);
  });

  it("RATE_LIMITED: over the daily limit, and failed authentication is not counted", async () => {
    const limited = await s.services.stores.create({ name: "Tiny", dailyLimit: 3 });
    const p = { id: limited.id, auth_code: limited.auth_code, device: "openapi", number: "01011110004" };
    await s.form("/api/open/save", { ...p, auth_code: "wrong", count: 1 });
    expect((await s.form("/api/open/save", { ...p, count: 1 })).result).toBe(true);
    expect((await s.form("/api/open/save", { ...p, device: "bad", count: 1 })).code).toBe("INVALID_PARAM");
    expect((await s.form("/api/open/balance", p)).total_count).toBe(1);
    expectFailure(await s.form("/api/open/save", { ...p, count: 1 }), "RATE_LIMITED", "일일 호출 한도를 초과했습니다");
    expectFailure(await s.form("/api/open/balance", p), "RATE_LIMITED", "일일 호출 한도를 초과했습니다");
    const usage = await s.db.prisma.dailyUsage.findMany({ where: { storeId: limited.id } });
    expect(usage.map((u) => u.calls)).toEqual([3]);
    const verify = await s.services.verify();
    expect(verify.ok).toBe(true);
  });

  it("DUPLICATE_REQUEST: an idempotency key reused with other parameters", async () => {
    const p = { ...base(), number: "01011110005" };
    const first = await s.form("/api/open/save", { ...p, count: 2, idempotency_key: "pos-1-0001" });
    expect(first).toMatchObject({ result: true, total_point: 2 });
    expect(await s.form("/api/open/save", { ...p, count: 2, idempotency_key: "pos-1-0001" })).toEqual(first);
    expect(await s.json("/api/open/save", { ...p, count: 2 }, { "idempotency-key": "pos-1-0001" })).toEqual(first);
    expectFailure(
      await s.form("/api/open/save", { ...p, count: 3, idempotency_key: "pos-1-0001" }),
      "DUPLICATE_REQUEST",
      "이미 처리된 요청입니다",
    );
    expectFailure(
      await s.form("/api/open/use", { ...p, count: 2, idempotency_key: "pos-1-0001" }),
      "DUPLICATE_REQUEST",
      "이미 처리된 요청입니다",
    );
    expect((await s.form("/api/open/balance", p)).total_count).toBe(2);
  });

  it("INTERNAL: a database fault answers result:false with no internals, and the request id", async () => {
    // A real fault: the member table is briefly missing.
    await s.db.prisma.$executeRawUnsafe(`ALTER TABLE member RENAME TO member_away`);
    try {
      const res = await fetch(
        `${s.url}/api/open/balance?${new URLSearchParams({ ...base(), id: String(stamp.id), number: "01011110001" })}`,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toBeTruthy();
      expect(await res.json()).toEqual({ result: false, code: "INTERNAL", msg: "일시적인 오류입니다. 잠시 후 다시 시도해 주세요" });
    } finally {
      await s.db.prisma.$executeRawUnsafe(`ALTER TABLE member_away RENAME TO member`);
    }
  });
});
