// The stamp API contract (shared/spec/vivoldi-stamp-api.md) over real HTTP, on the embedded
// database or on PostgreSQL when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type StampAnswer, type StampCall } from "./support/stamp-client.js";

let s: TestServer;
let call: StampCall;
let store: { id: number };
/** A ten-stamp card, and one with the on-site option. */
let card: number;
let onsiteCard: number;
const day = (n: number) => dayFromToday(n, s.config.TIME_ZONE);
const period = () => ({ strtYmd: day(-1), endYmd: day(365) });

beforeAll(async () => {
  s = await startTestServer();
  store = await s.services.stores.create({ name: "Cafe", loginId: "cafe" });
  const { key } = await s.services.apiKeys.create({ store: store.id, plan: "personal" });
  call = stampClient(s, key);
  card = (await s.services.cards.create({ store: store.id, name: "Americano", title: "10 stamps, one free Americano", maxStamps: 10, url: "https://shop.example/menu" })).cardIdx;
  onsiteCard = (await s.services.cards.create({ store: store.id, name: "Latte", title: "3 stamps", maxStamps: 3, onsitePwd: "123456" })).cardIdx;
});
afterAll(() => s?.stop());

const ok = (a: StampAnswer, result: unknown = null) => expect({ status: a.status, code: a.code, message: a.message, result: a.result }).toEqual({ status: 200, code: 0, message: "", result });
const fails = (a: StampAnswer, status: number, code: number) => {
  expect({ status: a.status, code: a.code, result: a.result }).toEqual({ status, code, result: null });
  expect(a.message).not.toBe("");
};

async function newStamp(params: Record<string, string | number> = {}): Promise<number> {
  const a = await call("create", { cardIdx: card, ...period(), ...params });
  ok(a, expect.any(Number));
  return a.result;
}

async function ledgerOf(stampIdx: number) {
  const st = await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx }, include: { account: { include: { entries: { orderBy: { id: "asc" } } } } } });
  return { used: st.used, balance: st.account.balance, rows: st.account.entries.map((e) => [e.kind, e.delta, e.balanceAfter]) };
}

describe("the lifecycle of a stamp", () => {
  it("create, add to full, refuse past full, remove, redeem, validate after redeem", async () => {
    const idx = await newStamp({ userNm: "Kim", userPhnno: "010-1234-5678" });

    const v0 = await call("validate", { stampIdx: idx });
    ok(v0, expect.objectContaining({ stampIdx: idx, stamps: 0, maxStamps: 10, activeYn: "Y", userNm: "Kim" }));

    for (let i = 1; i <= 10; i++) ok(await call("add", { stampIdx: idx }));
    fails(await call("add", { stampIdx: idx }), 200, 2006);
    expect((await call("validate", { stampIdx: idx })).result.stamps).toBe(10);

    ok(await call("remove", { stampIdx: idx }));
    fails(await call("redeem", { stampIdx: idx }), 200, 2007);
    ok(await call("add", { stampIdx: idx }));
    ok(await call("redeem", { stampIdx: idx }));

    fails(await call("validate", { stampIdx: idx }), 200, 2005);
    fails(await call("redeem", { stampIdx: idx }), 200, 2005);
    fails(await call("add", { stampIdx: idx }), 200, 2005);

    const l = await ledgerOf(idx);
    expect(l.used).toBe(true);
    expect(l.rows).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ["stamp_add", 1, i + 1]),
      ["stamp_remove", -1, 9],
      ["stamp_add", 1, 10],
      ["stamp_use", 0, 10],
    ]);
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
  });

  it("redeem with the on-site password: missing is 1000, wrong is 2008, right redeems once", async () => {
    const idx = await newStamp({ cardIdx: onsiteCard });
    for (let i = 0; i < 3; i++) ok(await call("add", { stampIdx: idx }));
    const missing = await call("redeem", { stampIdx: idx });
    fails(missing, 400, 1000);
    expect(missing.message).toContain("onsitePwd");
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "654321" }), 200, 2008);
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "12345" }), 200, 2008);
    ok(await call("redeem", { stampIdx: idx, onsitePwd: "123456" }));
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "123456" }), 200, 2005);
    expect((await ledgerOf(idx)).rows.filter((r) => r[0] === "stamp_use")).toHaveLength(1);
  });
});
