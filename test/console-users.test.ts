// Console users as the operator manages them (shared/spec/console.md, "Who logs in":
// `stampd user create|list|reset-password|remove` and the same on the admin API), and which user
// made a ledger row (docs/ledger.md, "Who made a row"), against a real server on the embedded
// database (the commands then go through the running server), or on PostgreSQL when DATABASE_URL
// is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digest } from "../src/platform/secrets.js";
import { asConsoleUser } from "../src/ledger/actor.js";
import { changeBalance } from "../src/ledger/points.js";
import type { Sql } from "../src/platform/db/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { stampd } from "./support/cli.js";

const ADMIN_TOKEN = "admin-token-console-users-0123456789";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN });
});
afterAll(async () => {
  await s?.stop();
});

let unique = 0;
/** A login of this test's own (logins are unique on the server; the PostgreSQL leg shares one). */
const newLogin = (name: string) => `${name}-${process.pid}-${++unique}`;
/** A phone number of this file's own. */
const newPhone = () => `+82104${String(process.pid % 1000).padStart(3, "0")}${String(++unique).padStart(4, "0")}`;

const run = (...args: string[]) => stampd(args, s.database.env);
async function json(...args: string[]) {
  const r = await run(...args, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Whether `login` and `password` log in (through the same service as the login page). */
const logsIn = async (login: string, password: string) => (await s.services.consoleUsers.authenticate(login, password)) !== null;

describe("stampd user", () => {
  it("create prints the password once; the user logs in with it; list shows the store's users without any password or hash", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const login = newLogin("Kim.Owner");
    const r = await run("user", "create", "--store", String(store.id), "--login", login, "--role", "owner");
    expect(r.code).toBe(0);
    const fields = Object.fromEntries(
      r.stdout
        .trim()
        .split("\n")
        .filter((l) => l.includes(": "))
        .map((l) => l.split(": ", 2)),
    );
    expect(fields).toMatchObject({ store: String(store.id), login: login.toLowerCase(), role: "owner" });
    expect(fields.password).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect(r.stdout).toContain("(password is shown once: keep it now)");
    expect(await logsIn(login, fields.password)).toBe(true);

    const staff = await json("user", "create", "--store", String(store.id), "--login", newLogin("lee"), "--role", "staff");
    const listed = await json("user", "list", "--store", String(store.id));
    expect(listed.map((u: any) => [u.login, u.role])).toEqual([
      [login.toLowerCase(), "owner"],
      [staff.login, "staff"],
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/password|argon2/);
  });

  it("reset-password prints a new password: the old one stops working and the user's sessions end", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const created = await json("user", "create", "--store", String(store.id), "--login", newLogin("park"), "--role", "staff");
    const token = await s.services.consoleSessions.start(created.id);
    const reset = await json("user", "reset-password", "--login", created.login);
    expect(reset.login).toBe(created.login);
    expect(reset.password).not.toBe(created.password);
    expect(await logsIn(created.login, created.password)).toBe(false);
    expect(await logsIn(created.login, reset.password)).toBe(true);
    expect(await s.services.consoleSessions.resume(token)).toBeNull();
  });

  it("reset-password lifts a lock", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const created = await json("user", "create", "--store", String(store.id), "--login", newLogin("locked"), "--role", "staff");
    for (let i = 0; i < 5; i++) await logsIn(created.login, "wrong");
    expect((await json("user", "list", "--store", String(store.id)))[0].locked_until).not.toBeNull();
    const reset = await json("user", "reset-password", "--login", created.login);
    expect(await logsIn(created.login, reset.password)).toBe(true);
  });

  it("remove ends the user and their sessions; their ledger rows keep the login", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const created = await json("user", "create", "--store", String(store.id), "--login", newLogin("choi"), "--role", "staff");
    const token = await s.services.consoleSessions.start(created.id);
    expect(await json("user", "remove", "--login", created.login)).toEqual({ login: created.login, removed: true });
    expect(await json("user", "list", "--store", String(store.id))).toEqual([]);
    expect(await s.services.consoleSessions.resume(token)).toBeNull();
    expect(await logsIn(created.login, created.password)).toBe(false);
  });

  it("refuses wrong arguments with one line and exit code 2, changing nothing", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const taken = await json("user", "create", "--store", String(store.id), "--login", newLogin("taken"), "--role", "owner");
    const cases: [string[], RegExp][] = [
      [["user", "create", "--store", String(store.id), "--login", newLogin("x"), "--role", "boss"], /--role/],
      [["user", "create", "--store", String(store.id), "--role", "staff"], /--login/],
      [["user", "create", "--store", String(store.id), "--login", "no spaces please", "--role", "staff"], /login: letters/],
      [["user", "create", "--store", String(store.id), "--login", taken.login, "--role", "staff"], /already taken/],
      [["user", "create", "--store", "999999", "--login", newLogin("y"), "--role", "staff"], /store 999999 not found/],
      [["user", "reset-password", "--login", newLogin("nobody")], /not found/],
      [["user", "remove", "--login", newLogin("nobody")], /not found/],
    ];
    for (const [args, why] of cases) {
      const r = await run(...args);
      expect({ args, code: r.code, lines: r.stderr.trim().split("\n").length }).toEqual({ args, code: 2, lines: 1 });
      expect(r.stderr).toMatch(why);
    }
    expect((await json("user", "list", "--store", String(store.id))).map((u: any) => u.login)).toEqual([taken.login]);
  });
});

describe("the admin API", () => {
  it("creates, lists, resets and removes console users as the commands do", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const login = newLogin("jung");
    const created = await admin("POST", "/admin/console-users", { store: store.id, login, role: "staff" });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ store: store.id, login, role: "staff", password: expect.any(String) });
    expect(await logsIn(login, created.body.password)).toBe(true);

    const listed = await admin("GET", `/admin/console-users?store=${store.id}`);
    expect(listed.body).toEqual([expect.objectContaining({ login, role: "staff", locked_until: null })]);

    const reset = await admin("POST", `/admin/console-users/${login}/reset-password`);
    expect(reset.status).toBe(200);
    expect(await logsIn(login, reset.body.password)).toBe(true);

    expect(await admin("DELETE", `/admin/console-users/${login}`)).toEqual({ status: 200, body: { login, removed: true } });
    expect((await admin("GET", `/admin/console-users?store=${store.id}`)).body).toEqual([]);
  });

  it("answers 400 for a wrong role or login, 404 for an unknown store or login, 409 for a login taken", async () => {
    const store = await s.services.stores.create({ name: "Cafe" });
    const taken = newLogin("han");
    await admin("POST", "/admin/console-users", { store: store.id, login: taken, role: "owner" });
    expect((await admin("POST", "/admin/console-users", { store: store.id, login: newLogin("a"), role: "admin" })).status).toBe(400);
    expect((await admin("POST", "/admin/console-users", { store: store.id, login: "a b", role: "staff" })).status).toBe(400);
    expect((await admin("POST", "/admin/console-users", { store: 999_999, login: newLogin("b"), role: "staff" })).status).toBe(404);
    expect((await admin("POST", "/admin/console-users", { store: store.id, login: taken, role: "staff" })).body.error).toBe("CONFLICT");
    expect((await admin("POST", `/admin/console-users/${newLogin("none")}/reset-password`)).status).toBe(404);
    expect((await admin("DELETE", `/admin/console-users/${newLogin("none")}`)).status).toBe(404);
    expect((await admin("GET", `/admin/console-users?store=${store.id}`)).body.map((u: any) => u.login)).toEqual([taken]);
  });
});

describe("who made a ledger row", () => {
  /** A save of 2 for a new customer of a new store, on `sql` (the database, or a transaction of it). */
  async function saver() {
    const store = await s.services.stores.create({ name: "Cafe" });
    const save = (sql: Sql, phone = newPhone()) =>
      changeBalance(sql, {
        caller: { storeId: store.id, authCodeHash: digest(store.auth_code), timeZone: s.config.TIME_ZONE },
        ceilings: { stamp: 100, point: 1_000_000 },
        member: { phone },
        delta: 2,
        register: true,
      });
    return { store, save };
  }

  it("a change inside asConsoleUser carries the login on its row; one outside, and the next on the same database, carry none", async () => {
    const { store, save } = await saver();
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

  it("a change that fails inside asConsoleUser rolls back with its transaction", async () => {
    const { store, save } = await saver();
    await expect(
      asConsoleUser(s.db, "kim", async (sql) => {
        expect((await save(sql)).status).toBe("applied");
        throw new Error("after the save");
      }),
    ).rejects.toThrow("after the save");
    expect(await s.db.prisma.ledgerEntry.count({ where: { storeId: store.id } })).toBe(0);
  });
});
