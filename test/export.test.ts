// The exports of shared/spec/migration.md ("Export"): a store's members and its pool's history as
// CSV, by `stampd export` and by the admin API, on the embedded database or on PostgreSQL when
// DATABASE_URL is set. On the embedded database the command asks the running server (which holds
// the database); on PostgreSQL it reads the database itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Prisma } from "../src/generated/prisma/client.js";
import { ExportService } from "../src/import-export/export.js";
import { exportSource, type ExportSource } from "../src/import-export/export-source.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { stampd } from "./support/cli.js";

const ADMIN_TOKEN = "admin-token-0123456789abcdef";
const TIME_ZONE = "Asia/Seoul";
const BOM = "\uFEFF";

type Store = { id: number; auth_code: string };
let s: TestServer;
let storeNo = 0;

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN, TIME_ZONE, PHONE_REGION: "KR" });
});
afterAll(() => s?.stop());

/** A store of its own, in a pool of its own unless `pool` is given. */
const newStore = (pool?: number): Promise<Store> => {
  storeNo += 1;
  return s.services.stores.create({ name: `Shop ${storeNo}`, loginId: `export-${storeNo}`, branch: `Branch ${storeNo}`, pool });
};
const open = async (store: Store, op: string, params: Record<string, string | number>) => {
  const answer = await s.form(`/api/open/${op}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });
  expect(answer.result).toBe(true);
  return answer;
};
const cli = (...args: string[]) => stampd(args, s.database.env);
const admin = (url: string) => s.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

/** A time as the exports write it: in TIME_ZONE, `YYYY-MM-DD HH:mm:ss` (Sweden's locale writes ISO order). */
const local = (d: Date | string) =>
  new Intl.DateTimeFormat("sv-SE", { timeZone: TIME_ZONE, dateStyle: "short", timeStyle: "medium" }).format(new Date(d));
const today = () => local(new Date()).slice(0, 10);
const dayAfter = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The CSV's records, without BOM and header (the exports quote no field in these tests). */
const records = (csv: string) =>
  csv
    .slice(BOM.length)
    .split("\n")
    .slice(1, -1)
    .map((line) => line.split(","));

async function memberTimes(memberNo: number) {
  const member = await s.db.prisma.member.findUniqueOrThrow({ where: { id: memberNo } });
  const latest = await s.db.prisma.ledgerEntry.findFirst({ where: { account: { memberId: memberNo } }, orderBy: { id: "desc" } });
  return { joined: local(member.createdAt), last: latest ? local(latest.createdAt) : "" };
}

describe("stampd export members", () => {
  it("writes the pool's members: BOM, header, national phones, balances, dates in TIME_ZONE", async () => {
    const store = await newStore();
    const a = await open(store, "save", { number: "01055510001", count: 7 });
    await open(store, "use", { number: "01055510001", count: 2 });
    const b = await open(store, "save", { number: "+82 10-5551-0002", count: 1 });
    // A member whose account has no row yet (as a balance of 0 imported opens it).
    const quiet = await s.db.prisma.member.create({ data: { phone: "+821055510003" } });
    const pool = (await s.services.stores.list()).find((x) => x.id === store.id)!.pool;
    await s.db.prisma.ledgerAccount.create({ data: { poolId: pool, memberId: quiet.id } });

    const [ta, tb, tq] = [await memberTimes(a.member_no), await memberTimes(b.member_no), await memberTimes(quiet.id)];
    const expected =
      `${BOM}member_no,phone,balance,joined,last_activity\n` +
      `${a.member_no},010-5551-0001,5,${ta.joined},${ta.last}\n` +
      `${b.member_no},010-5551-0002,1,${tb.joined},${tb.last}\n` +
      `${quiet.id},010-5551-0003,0,${tq.joined},\n`;
    const r = await cli("export", "members", "--store", String(store.id));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).toBe(expected);

    const out = path.join(mkdtempSync(path.join(tmpdir(), "stampd-export-")), "members.csv");
    const written = await cli("export", "members", "--store", String(store.id), "--out", out);
    expect({ code: written.code, stdout: written.stdout, stderr: written.stderr }).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(out)).toEqual(Buffer.from(expected));
  });

  it("holds the members of the store's pool only: a chain's members, never another pool's", async () => {
    const head = await newStore();
    const branch = await newStore(head.id);
    const other = await newStore();
    const atHead = await open(head, "save", { number: "01055520001", count: 3 });
    const atBranch = await open(branch, "save", { number: "01055520002", count: 4 });
    const elsewhere = await open(other, "save", { number: "01055520003", count: 5 });
    // Known to both pools: each export has the balance of its own pool.
    await open(other, "save", { number: "01055520001", count: 9 });

    const members = async (store: Store) => records((await cli("export", "members", "--store", String(store.id))).stdout);
    const headRows = await members(head);
    expect(headRows.map((r) => r.slice(0, 3))).toEqual([
      [String(atHead.member_no), "010-5552-0001", "3"],
      [String(atBranch.member_no), "010-5552-0002", "4"],
    ]);
    expect(await members(branch)).toEqual(headRows);
    expect((await members(other)).map((r) => r.slice(0, 3))).toEqual([
      [String(atHead.member_no), "010-5552-0001", "9"],
      [String(elsewhere.member_no), "010-5552-0003", "5"],
    ]);
  });
});

describe("stampd export history", () => {
  it("writes the pool's rows oldest first, each as the OPEN API's history shows it", async () => {
    const head = await newStore();
    const branch = await newStore(head.id);
    const phone = "01055530001";
    const saved = await open(head, "save", { number: phone, count: 6 });
    await open(branch, "use", { number: phone, count: 2 });
    await open(head, "transfer", { number: phone, to_number: "01055530002", count: 1 });
    const [use] = (await open(head, "history", { number: phone })).list.filter((e: { content: string }) => e.content === "차감");
    await open(branch, "cancel", { number: phone, history_id: use.id });

    const openApi = (await open(head, "history", { number: phone, size: 100 })).list.reverse();
    const receiver = (await open(head, "history", { number: "01055530002" })).list;
    const r = await cli("export", "history", "--store", String(branch.id));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout.split("\n")[0]).toBe(`${BOM}id,date,member_no,phone,type,count,content,login_id,place,balance_after`);
    const rows = records(r.stdout);
    const mine = rows.filter((row) => row[3] === "010-5553-0001");
    expect(
      mine.map(([id, date, memberNo, , type, count, content, loginId, place]) => ({
        id,
        date,
        memberNo,
        type,
        count,
        content,
        loginId,
        place,
      })),
    ).toEqual(
      openApi.map((e: Record<string, string | number>) => ({
        id: String(e.id),
        date: local(e.date as string),
        memberNo: String(saved.member_no),
        type: String(e.type),
        count: String(e.count),
        content: e.content,
        loginId: e.login_id,
        place: e.place,
      })),
    );
    expect(mine.map((row) => row[9])).toEqual(["6", "4", "3", "5"]);
    // The receiver's row of the transfer is the pool's too, in its place by id.
    expect(rows.map((row) => Number(row[0]))).toEqual([...openApi, ...receiver].map((e: { id: number }) => e.id).sort((x, y) => x - y));
  });

  it("keeps the rows of the days from --from to --to, both included, in TIME_ZONE", async () => {
    const store = await newStore();
    await open(store, "save", { number: "01055540001", count: 2 });
    await open(store, "save", { number: "01055540001", count: 3 });
    const history = async (...range: string[]) => {
      const r = await cli("export", "history", "--store", String(store.id), ...range);
      expect(r.code).toBe(0);
      return records(r.stdout).map((row) => row[5]);
    };
    const day = today();
    expect(await history()).toEqual(["2", "3"]);
    expect(await history("--from", day, "--to", day)).toEqual(["2", "3"]);
    expect(await history("--from", dayAfter(day, -1))).toEqual(["2", "3"]);
    expect(await history("--to", dayAfter(day, -1))).toEqual([]);
    expect(await history("--from", dayAfter(day, 1))).toEqual([]);
  });
});

describe("bad arguments", () => {
  it("exit 2 with one line on the command line, and 400 or 404 on the admin API", async () => {
    const store = await newStore();
    const cases: [string[], RegExp, string, number][] = [
      [["members", "--store", "999999"], /store 999999 not found/, "/admin/stores/999999/export/members.csv", 404],
      [["history", "--store", "999999"], /store 999999 not found/, "/admin/stores/999999/export/history.csv", 404],
      [
        ["history", "--store", String(store.id), "--from", "2026-02-30"],
        /--from: must be a date/,
        `/admin/stores/${store.id}/export/history.csv?from=2026-02-30`,
        400,
      ],
      [
        ["history", "--store", String(store.id), "--to", "yesterday"],
        /--to: must be a date/,
        `/admin/stores/${store.id}/export/history.csv?to=yesterday`,
        400,
      ],
      [
        ["history", "--store", String(store.id), "--from", "2026-03-02", "--to", "2026-03-01"],
        /from 2026-03-02 is after to 2026-03-01/,
        `/admin/stores/${store.id}/export/history.csv?from=2026-03-02&to=2026-03-01`,
        400,
      ],
      [["members", "--store", "abc"], /--store/, "/admin/stores/abc/export/members.csv", 400],
      [["members"], /--store/, "", 0],
    ];
    for (const [args, message, url, status] of cases) {
      const r = await cli("export", ...args);
      expect({ args, code: r.code, lines: r.stderr.trim().split("\n").length, stdout: r.stdout }).toEqual({
        args,
        code: 2,
        lines: 1,
        stdout: "",
      });
      expect(r.stderr).toMatch(message);
      if (!url) continue;
      const res = await admin(url);
      expect({ url, status: res.statusCode }).toEqual({ url, status });
      expect(res.json().message).toMatch(message.source.replace(/^--/, ""));
    }
  });
});

describe("the admin API", () => {
  it("answers the same bytes as the command line, as a CSV attachment", async () => {
    const store = await newStore();
    await open(store, "save", { number: "01055550001", count: 4 });
    await open(store, "use", { number: "01055550001", count: 1 });
    for (const [file, args] of [
      ["members.csv", ["members"]],
      ["history.csv", ["history"]],
      [`history.csv?from=${today()}&to=${today()}`, ["history", "--from", today(), "--to", today()]],
    ] as const) {
      const res = await admin(`/admin/stores/${store.id}/export/${file}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
      expect(res.headers["content-disposition"]).toBe(`attachment; filename="store-${store.id}-${args[0]}.csv"`);
      expect(res.rawPayload).toEqual(Buffer.from((await cli("export", ...args, "--store", String(store.id))).stdout));
    }
    expect((await s.app.inject({ method: "GET", url: `/admin/stores/${store.id}/export/members.csv` })).statusCode).toBe(401);
  });
});

describe("streaming", () => {
  /** The real source, noting the size of every batch it reads (one round trip, or one cursor read, each). */
  function countingSource(batchSize: number) {
    const source = exportSource(s.db, batchSize);
    const batches: number[] = [];
    const counted: ExportSource = {
      ...source,
      async *members(pool, tz) {
        for await (const batch of source.members(pool, tz)) {
          batches.push(batch.length);
          yield batch;
        }
      },
    };
    return {
      batches,
      service: new ExportService(counted, { phones: { region: "KR", foreign: false }, timeZone: TIME_ZONE }, s.services.expiry),
    };
  }

  it("reads the rows in batches as the file is read, not all before the first bytes", async () => {
    const store = await newStore();
    const pool = (await s.services.stores.list()).find((x) => x.id === store.id)!.pool;
    // 5,000 members known to the pool (accounts without rows, as an import of zero balances opens them).
    await s.db.query(Prisma.sql`INSERT INTO member (phone) SELECT '+821066' || lpad(g::text, 6, '0') FROM generate_series(1, 5000) g`);
    await s.db.query(
      Prisma.sql`INSERT INTO ledger_account (pool_id, member_id) SELECT ${pool}, id FROM member WHERE phone LIKE '+821066%'`,
    );
    const { batches, service } = countingSource(100);
    const file = await service.members(store.id);
    const iterator = file.body[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as Buffer;
    expect(first.subarray(0, 3)).toEqual(Buffer.from(BOM));
    // The first bytes came before most of the rows were read.
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThan(20);
    let lines = first.toString().split("\n").length - 1;
    for (let chunk = await iterator.next(); !chunk.done; chunk = await iterator.next())
      lines += (chunk.value as Buffer).toString().split("\n").length - 1;
    expect(lines).toBe(5001);
    expect(batches).toEqual(Array(50).fill(100));
  });
});
