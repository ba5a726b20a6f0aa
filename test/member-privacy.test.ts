// Member privacy between pools (shared/spec/migration.md): a pool sees only the members that have
// an account in it. Every OPEN API call that names a member another pool knows, but this one does
// not, answers exactly as for a phone or number never seen, over real HTTP, on the embedded
// database or on PostgreSQL when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";

type Store = { id: number; auth_code: string };
type Params = Record<string, string | number>;

let s: TestServer;
let bakery: Store;

const call = (store: Store, path: string, params: Params) =>
  s.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });
const NOT_FOUND = { result: false, code: "MEMBER_NOT_FOUND", msg: "등록되지 않은 고객입니다" };

beforeAll(async () => {
  s = await startTestServer();
  bakery = await s.services.stores.create({ name: "Bakery", loginId: "bakery" });
});
afterAll(() => s?.stop());

/** A store in a pool of its own, and a member known only to the bakery's pool (with one row there). */
async function setUp(n: number) {
  const cafe = await s.services.stores.create({ name: "Cafe", loginId: `cafe-${n}` });
  const phone = `0104000${String(n).padStart(4, "0")}`;
  const saved = await call(bakery, "save", { number: phone, count: 5 });
  expect(saved.result).toBe(true);
  const [row] = (await call(bakery, "history", { number: phone })).list;
  return { cafe, phone, memberNo: saved.member_no as number, rowId: row.id as number };
}

describe("a member known only to another pool is not found", () => {
  it("balance and history, by phone and by member number, answer as for a member never seen", async () => {
    const { cafe, phone, memberNo } = await setUp(1);
    for (const path of ["balance", "history"]) {
      expect(await call(cafe, path, { number: phone })).toEqual(NOT_FOUND);
      expect(await call(cafe, path, { number: "01049999999" })).toEqual(NOT_FOUND);
      expect(await call(cafe, path, { type: "no", number: memberNo })).toEqual(NOT_FOUND);
      expect(await call(cafe, path, { type: "no", number: 2_000_000_000 })).toEqual(NOT_FOUND);
    }
  });

  it("use and cancel answer MEMBER_NOT_FOUND and change nothing", async () => {
    const { cafe, phone, memberNo, rowId } = await setUp(2);
    expect(await call(cafe, "use", { number: phone, count: 1 })).toEqual(NOT_FOUND);
    expect(await call(cafe, "use", { type: "no", number: memberNo, count: 1 })).toEqual(NOT_FOUND);
    expect(await call(cafe, "cancel", { number: phone, history_id: rowId })).toEqual(NOT_FOUND);
    expect(await call(cafe, "cancel", { type: "no", number: memberNo, history_id: rowId })).toEqual(NOT_FOUND);
    expect(await call(bakery, "balance", { number: phone })).toMatchObject({ result: true, total_count: 5 });
    expect(await s.db.prisma.ledgerAccount.count({ where: { memberId: memberNo } })).toBe(1);
  });

  it("save by member number answers MEMBER_NOT_FOUND; save by phone opens the account in the pool", async () => {
    const { cafe, phone, memberNo } = await setUp(3);
    expect(await call(cafe, "save", { type: "no", number: memberNo, count: 1 })).toEqual(NOT_FOUND);
    expect(await s.db.prisma.ledgerAccount.count({ where: { memberId: memberNo } })).toBe(1);
    expect(await call(cafe, "save", { number: phone, count: 2 })).toMatchObject({ result: true, member_no: memberNo, total_point: 2 });
    // Now the cafe's pool knows the member, by number too.
    expect(await call(cafe, "save", { type: "no", number: memberNo, count: 1 })).toMatchObject({ result: true, total_point: 3 });
    expect(await call(cafe, "balance", { type: "no", number: memberNo })).toMatchObject({ result: true, total_count: 3 });
  });

  it("transfer: a giver, or a receiver by member number, unknown to the pool is MEMBER_NOT_FOUND", async () => {
    const { cafe, phone, memberNo } = await setUp(4);
    const friend = "01041110004";
    expect(await call(cafe, "save", { number: friend, count: 5 })).toMatchObject({ result: true });
    const friendNo = (await call(cafe, "balance", { number: friend })).member_no as number;
    expect(await call(cafe, "transfer", { number: phone, to_number: friend, count: 1 })).toEqual(NOT_FOUND);
    expect(await call(cafe, "transfer", { type: "no", number: memberNo, to_type: "no", to_number: friendNo, count: 1 })).toEqual(NOT_FOUND);
    expect(await call(cafe, "transfer", { type: "no", number: friendNo, to_type: "no", to_number: memberNo, count: 1 })).toEqual(NOT_FOUND);
    expect(await call(cafe, "balance", { number: friend })).toMatchObject({ total_count: 5 });
    expect(await s.db.prisma.ledgerAccount.count({ where: { memberId: memberNo } })).toBe(1);
  });

  it("transfer to a receiver phone new to the pool registers it there, whether or not another pool knows it", async () => {
    const { cafe, phone, memberNo } = await setUp(5);
    const giver = "01041110005";
    expect(await call(cafe, "save", { number: giver, count: 5 })).toMatchObject({ result: true });
    const moved = await call(cafe, "transfer", { number: giver, to_number: phone, count: 2 });
    expect(moved).toMatchObject({ result: true, to_member_no: memberNo, to_total_point: 2 });
    const brandNew = await call(cafe, "transfer", { number: giver, to_number: "01049990005", count: 1 });
    expect(brandNew).toMatchObject({ result: true, to_total_point: 1 });
    expect(await call(cafe, "balance", { number: phone })).toMatchObject({ result: true, total_count: 2 });
    expect(await call(bakery, "balance", { number: phone })).toMatchObject({ result: true, total_count: 5 });
  });
});
