// The ledger core's invariants, checked against the real database: a balance never goes below
// zero, every change is one immutable row carrying the balance after it, a balance always equals
// the sum of its rows, idempotency keys apply a change once, and `verify` notices any breach.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeBalance, type BalanceChange, type StoreCaller } from "../src/ledger/points.js";
import { digest } from "../src/platform/secrets.js";
import { startTestServer, type TestServer } from "./support/server.js";

let s: TestServer;
let store: { id: number; auth_code: string };

beforeAll(async () => {
  s = await startTestServer();
  store = await s.services.stores.create({ name: "Ledger test", dailyLimit: 1_000_000 });
});
afterAll(() => s?.stop());

const ceilings = { stamp: 100, point: 1_000_000 };
const callerOf = (st: { id: number; auth_code: string }, timeZone = "Asia/Seoul"): StoreCaller => ({
  storeId: st.id,
  authCodeHash: digest(st.auth_code),
  timeZone,
});
const change = (phone: string, delta: number, extra: Partial<BalanceChange> = {}) =>
  changeBalance(s.db, { caller: callerOf(store), ceilings, member: { phone }, register: delta > 0, delta, ...extra });

async function accountOf(phone: string) {
  return s.db.prisma.ledgerAccount.findFirstOrThrow({ where: { member: { phone } }, include: { entries: { orderBy: { id: "asc" } } } });
}

describe("ledger core", () => {
  it("writes one row per change, carrying the balance after it, and the balance equals the sum", async () => {
    for (const d of [5, -2, 7, -10]) expect((await change("+821020000001", d)).status).toBe("applied");
    const a = await accountOf("+821020000001");
    expect(a.entries.map((e) => [e.delta, e.balanceAfter])).toEqual([
      [5, 5],
      [-2, 3],
      [7, 10],
      [-10, 0],
    ]);
    expect(a.balance).toBe(0);
    expect(a.entries.reduce((sum, e) => sum + e.delta, 0)).toBe(a.balance);
  });

  it("never takes a balance below zero, and a refused change writes nothing", async () => {
    await change("+821020000002", 3);
    const out = await change("+821020000002", -4);
    expect(out.status).toBe("insufficient_balance");
    const a = await accountOf("+821020000002");
    expect([a.balance, a.entries.length]).toEqual([3, 1]);
  });

  it("does not find a member with no account in the pool", async () => {
    await change("+821020000003", 1);
    const other = await s.services.stores.create({ name: "Other pool" });
    const out = await changeBalance(s.db, {
      caller: callerOf(other, "UTC"),
      ceilings,
      member: { phone: "+821020000003" },
      register: false,
      delta: -1,
    });
    expect(out.status).toBe("member_not_found");
  });

  it("refuses a change the gate does not allow, and an unknown member without registration", async () => {
    const refused = await changeBalance(s.db, {
      caller: callerOf({ id: store.id, auth_code: "wrong" }, "UTC"),
      ceilings,
      member: { phone: "+821020000004" },
      register: true,
      delta: 1,
    });
    // A refusal carries no values: the function answers them null and the parse drops them.
    expect(refused).toEqual({ status: "auth_failed" });
    expect((await change("+821020000004", -1)).status).toBe("member_not_found");
    expect(await s.db.prisma.member.count({ where: { phone: "+821020000004" } })).toBe(0);
  });

  it("replays an idempotency key's first answer, even when retries race, and refuses it for other parameters", async () => {
    const key = { key: "k-1", fingerprint: "save|a|2" };
    const results = await Promise.all(Array.from({ length: 20 }, () => change("+821020000005", 2, { idempotency: key })));
    expect(results.filter((r) => r.status === "applied")).toHaveLength(1);
    expect(results.every((r) => (r.status === "applied" || r.status === "replayed") && r.balance === 2)).toBe(true);
    expect((await change("+821020000005", 3, { idempotency: { key: "k-1", fingerprint: "save|a|3" } })).status).toBe("key_reused");
    const a = await accountOf("+821020000005");
    expect([a.balance, a.entries.length]).toEqual([2, 1]);
  });

  it("keeps rows immutable and balances within their bounds, whatever SQL is run", async () => {
    expect((await change("+821020000006", 5)).status).toBe("applied");
    const a = await accountOf("+821020000006");
    await expect(s.db.prisma.$executeRawUnsafe(`UPDATE ledger_entry SET delta = 99 WHERE id = ${a.entries[0]!.id}`)).rejects.toThrow(
      /immutable/,
    );
    await expect(s.db.prisma.$executeRawUnsafe(`DELETE FROM ledger_entry WHERE id = ${a.entries[0]!.id}`)).rejects.toThrow(/immutable/);
    await expect(s.db.prisma.$executeRawUnsafe(`UPDATE ledger_account SET balance = -1 WHERE id = ${a.id}`)).rejects.toThrow(
      /balance_check/,
    );
  });

  it("verify is clean after all of this, and reports a balance changed behind the ledger's back", async () => {
    expect((await change("+821020000007", 3)).status).toBe("applied");
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
    const a = await accountOf("+821020000007");
    await s.db.prisma.$executeRawUnsafe(`UPDATE ledger_account SET balance = balance + 1 WHERE id = ${a.id}`);
    const report = await s.services.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(`account ${a.id}: balance 4 but its entries sum to 3`);
    await s.db.prisma.$executeRawUnsafe(`UPDATE ledger_account SET balance = balance - 1 WHERE id = ${a.id}`);
    expect((await s.services.verify()).ok).toBe(true);
  });
});
