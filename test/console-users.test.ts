// Console users as the operator manages them (shared/spec/console.md, "Who logs in"), and which
// user made a ledger row (docs/ledger.md, "Who made a row"), against a real server on the
// embedded database, or on PostgreSQL when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digest } from "../src/platform/secrets.js";
import { asConsoleUser } from "../src/ledger/actor.js";
import { changeBalance } from "../src/ledger/points.js";
import { startTestServer, type TestServer } from "./support/server.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.stop();
});

let phones = 0;
/** A phone number of this file's own (the PostgreSQL leg shares a server). */
const newPhone = () => `+8210${String(process.pid % 10_000).padStart(4, "0")}${String(++phones).padStart(4, "0")}`;

describe("who made a ledger row", () => {
  it("a change inside asConsoleUser carries the login on its row; one outside, and the next on the same database, carry none", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const save = (sql: Parameters<typeof changeBalance>[0], phone: string) =>
      changeBalance(sql, {
        caller: { storeId: store.id, authCodeHash: digest(store.auth_code), timeZone: s.config.TIME_ZONE },
        ceilings: { stamp: 100, point: 1_000_000 },
        member: { phone },
        delta: 2,
        register: true,
      });
    const [byConsole, byApi] = [newPhone(), newPhone()];
    expect((await asConsoleUser(s.db, "kim", (sql) => save(sql, byConsole))).status).toBe("applied");
    expect((await save(s.db, byApi)).status).toBe("applied");

    const rows = await s.db.prisma.ledgerEntry.findMany({
      where: { storeId: store.id },
      include: { account: { include: { member: true } } },
    });
    const loginOf = (phone: string) => rows.find((r) => r.account.member?.phone === phone)?.consoleLogin;
    expect(loginOf(byConsole)).toBe("kim");
    expect(loginOf(byApi)).toBeNull();
  });
});
