// The `stampd` command line as operations.md specifies it, run through its main() in this process
// (and once as a child process, for the exit code a shell sees), directly on the database and, for
// the embedded database, while a server process holds it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./support/database.js";
import { stampd, stampdProcess } from "./support/cli.js";
import { spawnServer } from "./support/process.js";
import { startTestServer } from "./support/server.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(() => database?.drop());

const run = (...args: string[]) => stampd(args, database.env);
const json = async (...args: string[]) => {
  const r = await run(...args, "--json");
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe("stampd store", () => {
  it("creates a store and prints id, login_id and auth_code once", async () => {
    const created = await json(
      "store",
      "create",
      "--name",
      "Cafe",
      "--branch",
      "Gangnam",
      "--login-id",
      "cafe-gn",
      "--unit",
      "point",
      "--daily-limit",
      "500",
    );
    expect(created).toMatchObject({
      id: expect.any(Number),
      login_id: "cafe-gn",
      auth_code: expect.any(String),
      place: "Gangnam",
      unit: "point",
      daily_limit: 500,
    });
    const list = await json("store", "list");
    expect(list.find((s: any) => s.id === created.id)).not.toHaveProperty("auth_code");
  });

  it("joins a pool, rotates a code and changes a store", async () => {
    const head = await json("store", "create", "--name", "Chain");
    const branch = await json("store", "create", "--name", "Chain", "--branch", "Busan", "--pool", String(head.id));
    expect(branch.pool).toBe(head.pool);
    const rotated = await json("store", "rotate-code", "--id", String(head.id));
    expect(rotated.auth_code).not.toBe(head.auth_code);
    const set = await json("store", "set", "--id", String(head.id), "--active", "false", "--daily-limit", "7");
    expect(set).toMatchObject({ active: false, daily_limit: 7 });
  });

  it("refuses bad arguments with one line and exit code 2, writing nothing", async () => {
    const before = await json("store", "list");
    const cases: [string[], RegExp][] = [
      [["store", "create"], /--name/],
      [["store", "create", "--name", "X", "--daily-limit", "-5"], /daily-limit/],
      [["store", "create", "--name", "X", "--unit", "coins"], /unit/],
      [["store", "create", "--name", "X", "--pool", "999999"], /store 999999 not found/],
      [["store", "set", "--id", "abc"], /--id/],
      [["store", "set", "--id", "999999", "--name", "Y"], /not found/],
      [["store", "frobnicate"], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const r = await run(...args);
      expect({ args, code: r.code, lines: r.stderr.trim().split("\n").length }).toEqual({ args, code: 2, lines: 1 });
      expect(r.stderr).toMatch(message);
    }
    expect(await json("store", "list")).toEqual(before);
  });
});

describe("stampd verify", () => {
  it("is clean on a consistent ledger and exits non-zero on a mismatch", async () => {
    expect(await json("verify")).toMatchObject({ ok: true, problems: [] });
    const server = await startTestServer({}, { database });
    try {
      const store = await server.services.stores.create({ name: "V" });
      await server.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number: "01040000001", count: 3 });
      await server.db.prisma.$executeRawUnsafe(`UPDATE ledger_account SET balance = 9`);
    } finally {
      await server.close();
    }
    const r = await stampdProcess(["verify"], database.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/balance 9 but its entries sum to 3/);
  });
});

describe.runIf(!process.env.DATABASE_URL)("the embedded database", () => {
  it("on first start creates a demo store and prints id, auth_code and a curl line, once", async () => {
    const dir = await freshDatabase();
    try {
      const first = await spawnServer({}, { database: dir, ready: /try: +curl[^\n]*\n/ });
      const out = first.stdout();
      const id = /id:\s+(\d+)/.exec(out)![1]!;
      const code = /auth_code:\s+(\S+)/.exec(out)![1]!;
      expect(out).toMatch(new RegExp(`curl -s ${first.url}/api/open/save -d id=${id} -d auth_code=${code} `));
      const r = await fetch(`${first.url}/api/open/save`, {
        method: "POST",
        body: new URLSearchParams({ id, auth_code: code, device: "openapi", number: "010-1234-5678", count: "2" }),
      });
      expect(await r.json()).toMatchObject({ result: true, total_point: 2 });

      // stampd commands work while the server holds the database, through the server.
      const created = JSON.parse((await stampd(["store", "create", "--name", "While running", "--json"], dir.env)).stdout);
      expect(created).toMatchObject({ id: expect.any(Number), auth_code: expect.any(String) });
      expect(JSON.parse((await stampd(["verify", "--json"], dir.env)).stdout)).toMatchObject({ ok: true, entries: 1 });
      // The console line's command makes the demo store's owner, whose password opens the console.
      const command = /console: +npm run -s stampd -- (user create [^\n]*?) +\(prints the password once\), then (\S+)/.exec(out)!;
      expect(command[2]).toBe(`${first.url}/console`);
      const owner = await stampd(command[1]!.split(" "), dir.env);
      expect(owner.code).toBe(0);
      expect(owner.stdout).toMatch(/password/);
      expect(await first.signal("SIGTERM")).toBe(0);

      const second = await spawnServer({}, { database: dir });
      expect(second.stdout()).not.toMatch(/auth_code/);
      expect(await second.signal("SIGTERM")).toBe(0);
      // And directly, with no server running.
      expect((JSON.parse((await stampd(["store", "list", "--json"], dir.env)).stdout) as unknown[]).length).toBe(2);
    } finally {
      await dir.drop();
    }
  });
});
