// `stampd import members` and `POST /admin/stores/<id>/import` as shared/spec/migration.md
// ("Import") specifies them: files written as a shop would (CP949 from Korean Excel, UTF-8 with a
// BOM, tabs), checked through the OPEN API afterwards, on the embedded database or on PostgreSQL
// when DATABASE_URL is set. On the embedded database the command goes through the running server.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import iconv from "iconv-lite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { stampd } from "./support/cli.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { freshDatabase } from "./support/database.js";
import { until } from "./support/wait.js";

const ADMIN_TOKEN = "admin-token-0123456789abcdef";
type Store = { id: number; auth_code: string };

let s: TestServer;
const dir = mkdtempSync(path.join(tmpdir(), "stampd-import-"));
beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN });
});
afterAll(() => s?.stop());

let files = 0;
/** Writes `lines` as a file: CP949 (Korean Excel) or UTF-8 with a BOM. */
function file(lines: string[], encoding: "cp949" | "utf8-bom" = "utf8-bom"): string {
  const text = `${lines.join("\r\n")}\r\n`;
  const bytes = encoding === "cp949" ? iconv.encode(text, "cp949") : Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  const name = path.join(dir, `members-${++files}.csv`);
  writeFileSync(name, bytes);
  return name;
}

const importMembers = (store: Store, name: string, ...flags: string[]) =>
  stampd(["import", "members", "--store", String(store.id), "--file", name, ...flags], s.database.env);
const open = (store: Store, call: string, params: Record<string, string | number>) =>
  s.form(`/api/open/${call}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });
/** A member's number and balance at `store` of `server`, by phone. */
const numberAndBalance = async (server: TestServer, store: Store, number: string, type: "phone" | "no" = "phone") => {
  const r = await server.form("/api/open/balance", { id: store.id, auth_code: store.auth_code, device: "openapi", number, type });
  return { member_no: r.member_no, total_count: r.total_count };
};
const newStore = (loginId: string) => s.services.stores.create({ name: "Cafe", loginId });
const memberCount = () => s.db.prisma.member.count();
const entryCount = () => s.db.prisma.ledgerEntry.count();

async function imported(store: Store, name: string, ...flags: string[]) {
  const r = await importMembers(store, name, "--json", ...flags);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe("a file as Korean Excel writes it", () => {
  it("imports CP949 with Korean headers: balances as one 이관 row, kept numbers, verify passes", async () => {
    const store = await newStore("import-cp949");
    const name = file(
      [
        "고객번호,휴대폰번호,보유스탬프,가입일,메모,비고",
        "7100001,010-5100-0001,12,2023-04-05,단골 손님,무시되는 열",
        ",010-5100-0002,3,2024-01-02 13:45:00,,",
        "7100003,01051000003,0,,,",
      ],
      "cp949",
    );
    expect(await imported(store, name)).toEqual({
      dry_run: false,
      lines_read: 3,
      members_new_to_server: 3,
      members_new_to_pool: 3,
      balance_imported: 15,
      kept_member_numbers: 2,
    });
    expect(await open(store, "balance", { number: "01051000001" })).toMatchObject({ result: true, member_no: 7100001, total_count: 12 });
    const history = await open(store, "history", { number: "01051000001" });
    expect(history.list).toEqual([
      { id: expect.any(Number), login_id: "import-cp949", place: "Cafe", type: 0, count: 12, content: "이관", date: expect.any(String) },
    ]);
    const row = await s.db.prisma.ledgerEntry.findUniqueOrThrow({ where: { id: history.list[0].id } });
    expect(row).toMatchObject({ kind: "import", delta: 12, memo: "단골 손님" });
    const member = await s.db.prisma.member.findUniqueOrThrow({ where: { id: 7100001 } });
    expect(member.createdAt.toISOString()).toBe("2023-04-04T15:00:00.000Z"); // 2023-04-05 00:00 in Asia/Seoul
    // A balance of 0 opens the account with no row.
    expect(await open(store, "balance", { type: "no", number: 7100003 })).toMatchObject({ result: true, total_count: 0 });
    expect((await open(store, "history", { type: "no", number: 7100003 })).list).toEqual([]);
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
  });

  it("reads UTF-8 with a BOM, tab-separated, English headers in any order, extra columns ignored", async () => {
    const store = await newStore("import-tsv");
    const name = file(["note\tpoints\tphone\tmemo", "x\t5\t010-5200-0001\thello"]);
    expect(await imported(store, name)).toMatchObject({ lines_read: 1, balance_imported: 5, kept_member_numbers: 0 });
    expect(await open(store, "balance", { number: "01052000001" })).toMatchObject({ result: true, total_count: 5 });
  });
});

describe("the sample file of docs/", () => {
  // On a new server of its own, as a shop that moves has: the file keeps member numbers 1001 and
  // 1002, which members that other tests create on the shared one may already hold.
  it('imports as README\'s "Moving from Stampang" shows: a dry run, then the import, then a customer by number', async () => {
    const server = await startTestServer({ ADMIN_TOKEN });
    try {
      const store = await server.services.stores.create({ name: "Cafe", loginId: "import-sample" });
      const sample = path.resolve(import.meta.dirname, "../docs/sample-import-cp949.csv");
      const run = async (...flags: string[]) => {
        const r = await stampd(
          ["import", "members", "--store", String(store.id), "--file", sample, "--json", ...flags],
          server.database.env,
        );
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
        return JSON.parse(r.stdout);
      };
      const summary = { lines_read: 3, members_new_to_server: 3, members_new_to_pool: 3, balance_imported: 19, kept_member_numbers: 2 };
      expect(await run("--dry-run")).toEqual({ dry_run: true, ...summary });
      expect(await run()).toEqual({ dry_run: false, ...summary });
      expect(await numberAndBalance(server, store, "1001", "no")).toEqual({ member_no: 1001, total_count: 7 });
    } finally {
      await server.stop();
    }
  });
});

describe("kept member numbers", () => {
  it("work through the OPEN API with type=no afterwards: balance, save, use", async () => {
    const store = await newStore("import-kept");
    await imported(store, file(["member_no,phone,balance", "7200001,010-5300-0001,10", "7200002,010-5300-0002,20"]));
    expect(await open(store, "balance", { type: "no", number: 7200002 })).toMatchObject({
      result: true,
      member_no: 7200002,
      total_count: 20,
    });
    expect(await open(store, "save", { type: "no", number: 7200001, count: 5 })).toMatchObject({ result: true, total_point: 15 });
    expect(await open(store, "use", { type: "no", number: 7200002, count: 20 })).toMatchObject({ result: true, total_point: 0 });
  });

  it("a number kept far down a long file is not handed to a new member of an earlier line", async () => {
    const store = await newStore("import-kept-late");
    // More lines than one batch of the ledger function (1,000) come before the line keeping a number.
    const { _max } = await s.db.prisma.member.aggregate({ _max: { id: true } });
    const kept = (_max.id ?? 0) + 500;
    const fresh = Array.from({ length: 1000 }, (_, i) => `010-5390-${String(i).padStart(4, "0")},1`);
    const name = file(["phone,balance,member_no", ...fresh.map((l) => `${l},`), `010-5391-0000,2,${kept}`]);
    expect(await imported(store, name)).toMatchObject({ lines_read: 1001, kept_member_numbers: 1 });
    expect(await numberAndBalance(s, store, "01053910000")).toEqual({ member_no: kept, total_count: 2 });
    expect(await s.services.verify()).toMatchObject({ ok: true });
  });

  it("a new member after an import never gets a kept number", async () => {
    const store = await newStore("import-sequence");
    const before = await open(store, "save", { number: "01054000000", count: 1 });
    const kept = before.member_no + 3;
    await imported(store, file(["member_no,phone", `${kept},010-5400-0001`]));
    const numbers = [];
    for (const n of [2, 3, 4, 5]) numbers.push((await open(store, "save", { number: `0105400000${n}`, count: 1 })).member_no);
    for (const n of numbers) expect(n).toBeGreaterThan(kept);
  });
});

describe("wrong lines", () => {
  it("reports every kind of wrong line (line, column, reason), exits 2 and writes nothing", async () => {
    const store = await newStore("import-wrong");
    const other = await newStore("import-wrong-other");
    await open(other, "save", { number: "01055000090", count: 1 });
    const taken = (await open(other, "balance", { number: "01055000090" })).member_no;
    const known = (await open(other, "save", { number: "01055000091", count: 1 })).member_no;
    await open(store, "save", { number: "01055000092", count: 10 });
    const name = file([
      "휴대폰,고객번호,포인트,가입일",
      "010-5500-0001,,5,", // 2: fine
      "02-312-3456,,5,", // 3: not a mobile number
      "010-5500-0004,0,5,", // 4: member number not positive
      "010-5500-0005,,-1,", // 5: negative balance
      "010-5500-0006,,2147483648,", // 6: balance too large
      "010-5500-0007,,5,2024-02-30", // 7: no such day
      ",,5,", // 8: neither phone nor number
      "010-5500-0009,,1,", // 9: the same phone as line 10
      "010-5500-0009,,1,", // 10
      `010-5500-0011,${taken},1,`, // 11: the number is another phone's
      "010-5500-0090,7300012,1,", // 12: the phone is a member with another number
      ",7300013,1,", // 13: a number not known, and no phone
      "010-5500-0091,,1,", // 14: the member of line 15
      `,${known},1,`, // 15
      "010-5500-0092,,2147483640,", // 16: 10 + this passes the largest balance
    ]);
    const [members, entries] = [await memberCount(), await entryCount()];
    const r = await importMembers(store, name);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      "stampd: 14 wrong line(s); nothing was imported",
      "line 3, 휴대폰: not a mobile phone number",
      "line 4, 고객번호: must be a whole number from 1 to 2147483647",
      "line 5, 포인트: must be a whole number from 0 to 2147483647",
      "line 6, 포인트: must be a whole number from 0 to 2147483647",
      "line 7, 가입일: must be a date YYYY-MM-DD or YYYY-MM-DD HH:mm:ss",
      "line 8, 휴대폰: required (or a member_no already known)",
      "line 9, 휴대폰: the same phone as line 10",
      "line 10, 휴대폰: the same phone as line 9",
      `line 11, 고객번호: member number ${taken} belongs to another phone`,
      "line 12, 휴대폰: this phone is a member with another number",
      "line 13, 휴대폰: required: member number 7300013 is not known",
      "line 14, 고객번호: names a member that another line of the file names too",
      "line 15, 고객번호: names a member that another line of the file names too",
      "line 16, 포인트: the member's balance would pass 2147483647",
    ]);
    expect([await memberCount(), await entryCount()]).toEqual([members, entries]);
    expect(await open(store, "balance", { number: "01055000001" })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
  });

  it("lists the first 100 wrong lines, then the count of the rest", async () => {
    const store = await newStore("import-many-wrong");
    const r = await importMembers(
      store,
      file(["phone,balance", ...Array.from({ length: 150 }, (_, i) => `0105600${String(i).padStart(4, "0")},x`)]),
    );
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(102);
    expect(lines.at(-1)).toBe("and 50 more wrong lines");
  });

  // Two connections at once: PostgreSQL only (the embedded database runs one transaction at a time).
  it.runIf(process.env.DATABASE_URL)("a kept number written by another transaction meanwhile is a conflict, nothing imported", async () => {
    const store = await newStore("import-race");
    const other = new pg.Client({ connectionString: s.database.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("INSERT INTO member (id, phone) VALUES (7600001, '+821061000009')");
      const running = importMembers(store, file(["member_no,phone,balance", "7600001,010-6100-0001,5", "7600002,010-6100-0002,5"]));
      // The import's insert of member 7600001 waits for the other transaction's.
      await until("the import to wait for the other transaction", async () => {
        // Within a transaction the activity view is read once; cleared, it is read anew.
        await other.query("SELECT pg_stat_clear_snapshot()");
        const { rows } = await other.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        return rows[0].n > 0;
      });
      await other.query("COMMIT");
      const r = await running;
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("stampd: another change wrote members of the file meanwhile; nothing was imported: run the import again\n");
      expect(await open(store, "balance", { type: "no", number: 7600002 })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
    } finally {
      await other.end();
    }
  });

  it("importing the same file twice changes nothing the second time and says so", async () => {
    const store = await newStore("import-twice");
    const name = file(["phone,balance", "010-5700-0001,4", "010-5700-0002,6"]);
    await imported(store, name);
    const entries = await entryCount();
    const again = await importMembers(store, name);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("line 2, phone: already imported into this store's pool");
    expect(again.stderr).toContain("line 3, phone: already imported into this store's pool");
    expect(await entryCount()).toBe(entries);
    expect(await open(store, "balance", { number: "01057000002" })).toMatchObject({ total_count: 6 });
  });

  it("gathers the planner's statistics of the tables it filled (the embedded database has no autovacuum)", async () => {
    // A pool with a period: each opening balance is a lot too.
    const store = await s.services.stores.create({ name: "Cafe", loginId: "import-statistics", expiryDays: 365 });
    await imported(store, file(["phone,balance", "010-5710-0001,4", "010-5710-0002,6", "010-5710-0003,0"]));
    for (const table of ["member", "ledger_account", "ledger_entry", "ledger_lot"]) {
      const [rows] = await s.db.query<{ counted: number; estimated: number }>(
        Prisma.sql`SELECT (SELECT count(*)::int FROM ${Prisma.raw(table)}) AS counted,
                          (SELECT reltuples::int FROM pg_class WHERE relname = ${table}) AS estimated`,
      );
      expect(rows?.estimated, table).toBe(rows?.counted);
    }
  });
});

describe("dry run, progress, privacy and the admin API", () => {
  it("draws a progress bar on stderr when it is a terminal, and writes nothing there otherwise", async () => {
    // A database no server holds: the command does the import itself, and so knows its progress.
    const database = await freshDatabase();
    try {
      const store = JSON.parse((await stampd(["store", "create", "--name", "Cafe", "--json"], database.env)).stdout);
      const args = ["import", "members", "--store", String(store.id), "--file", file(["phone,balance", "010-6200-0001,1"]), "--json"];
      const quiet = await stampd(args, database.env);
      expect([quiet.code, quiet.stderr]).toEqual([0, ""]);
      const other = JSON.parse((await stampd(["store", "create", "--name", "Bakery", "--json"], database.env)).stdout);
      const drawn = await stampd(["import", "members", "--store", String(other.id), "--file", args[5]!], database.env, true);
      expect([drawn.code, drawn.stderr]).toEqual([0, `\r[${"#".repeat(30)}] 1/1\n`]);
    } finally {
      await database.drop();
    }
  });

  it("--dry-run checks and prints the summary, writing nothing", async () => {
    const store = await newStore("import-dry");
    const name = file(["phone,member_no,balance", "010-5800-0001,7400001,9"]);
    const [members, entries] = [await memberCount(), await entryCount()];
    expect(await imported(store, name, "--dry-run")).toEqual({
      dry_run: true,
      lines_read: 1,
      members_new_to_server: 1,
      members_new_to_pool: 1,
      balance_imported: 9,
      kept_member_numbers: 1,
    });
    expect([await memberCount(), await entryCount()]).toEqual([members, entries]);
    expect(await open(store, "balance", { number: "01058000001" })).toMatchObject({ code: "MEMBER_NOT_FOUND" });
  });

  it("a members export imports into an empty server unchanged: members, numbers and balances", async () => {
    const store = await newStore("import-round-trip");
    await imported(store, file(["member_no,phone,balance,joined", "7700001,010-6300-0001,4,2022-03-04", ",010-6300-0002,0,"]));
    await open(store, "save", { number: "01063000003", count: 6 });
    const exported = await s.app.inject({
      method: "GET",
      url: `/admin/stores/${store.id}/export/members.csv`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(exported.statusCode).toBe(200);
    const empty = await startTestServer({ ADMIN_TOKEN });
    try {
      const there = await empty.services.stores.create({ name: "Cafe", loginId: "import-round-trip" });
      const answer = await empty.app.inject({
        method: "POST",
        url: `/admin/stores/${there.id}/import`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "text/csv" },
        payload: exported.rawPayload,
      });
      expect(answer.json()).toMatchObject({ lines_read: 3, members_new_to_server: 3, balance_imported: 10 });
      const balances = (server: TestServer, at: Store) =>
        Promise.all(["01063000001", "01063000002", "01063000003"].map((number) => numberAndBalance(server, at, number)));
      expect(await balances(empty, there)).toEqual(await balances(s, store));
    } finally {
      await empty.stop();
    }
  });

  it("an imported member is not seen by another pool", async () => {
    const store = await newStore("import-private");
    const other = await newStore("import-private-other");
    await imported(store, file(["phone,member_no,balance", "010-5900-0001,7500001,3"]));
    const byPhoneAndNumber: Record<string, string | number>[] = [{ number: "01059000001" }, { type: "no", number: 7500001 }];
    for (const member of byPhoneAndNumber) {
      expect(await open(other, "balance", member)).toMatchObject({ result: false, code: "MEMBER_NOT_FOUND" });
      expect(await open(other, "history", member)).toMatchObject({ result: false, code: "MEMBER_NOT_FOUND" });
    }
    // The other pool may import the same member (by phone, same number) with its own balance.
    await imported(other, file(["phone,member_no,balance", "010-5900-0001,7500001,8"]));
    expect(await open(other, "balance", { type: "no", number: 7500001 })).toMatchObject({ total_count: 8 });
    expect(await open(store, "balance", { type: "no", number: 7500001 })).toMatchObject({ total_count: 3 });
  });

  it("the admin API answers as the command line: the summary, and the wrong lines", async () => {
    const store = await newStore("import-admin");
    const post = (body: string, query = "") =>
      s.app.inject({
        method: "POST",
        url: `/admin/stores/${store.id}/import${query}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "text/csv" },
        payload: iconv.encode(body, "cp949"),
      });
    const good = "휴대폰,스탬프\n010-6000-0001,2\n";
    const dry = await post(good, "?dryRun=true");
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toEqual(await imported(store, file(good.trim().split("\n"), "cp949"), "--dry-run"));
    const bad = "휴대폰,스탬프\n010-6000-0001,2\n010-6000-0001,x\n";
    const refused = await post(bad);
    const cli = await importMembers(store, file(bad.trim().split("\n")));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: "INVALID_ARGUMENT", message: cli.stderr.replace(/^stampd: /, "").trimEnd() });
    const done = await post(good);
    expect(done.json()).toMatchObject({ dry_run: false, lines_read: 1, balance_imported: 2 });
    expect(await open(store, "balance", { number: "01060000001" })).toMatchObject({ total_count: 2 });
  });
});
