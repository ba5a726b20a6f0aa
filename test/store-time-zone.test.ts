// Each store's own time zone (shared/spec/expiry.md, "Time zone per store"): two stores of one pool
// whose calendar dates always differ (Pacific/Kiritimati is UTC+14, Etc/GMT+12 is UTC-12), each
// counting, validating and exporting on its own day; on the embedded database or on PostgreSQL
// when DATABASE_URL is set. A store without a zone keeps the server's TIME_ZONE: the other tests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { StampError, StampService } from "../src/vivoldi/service.js";
import { TodayService } from "../src/console/today/service.js";
import { MemberService } from "../src/console/members/service.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { pinnedStampService, stampClient } from "./support/stamp-client.js";
import { stampd } from "./support/cli.js";

const ADMIN_TOKEN = "admin-token-0123456789abcdef";
const EAST = "Pacific/Kiritimati";
const WEST = "Etc/GMT+12";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN, TIME_ZONE: "Asia/Seoul" });
});
afterAll(() => s?.stop());

/** Two stores of one pool, the first in EAST, the second in WEST. */
async function twoZones(unit: "stamp" | "point" = "point") {
  const east = await s.services.stores.create({ name: "East", unit, timeZone: EAST });
  const west = await s.services.stores.create({ name: "West", unit, timeZone: WEST, pool: east.id });
  return { east, west };
}

/** What the database gives for `expression` (a text), in its own clock. */
async function inDatabase(expression: Prisma.Sql): Promise<string> {
  const [row] = await s.db.query<{ v: string }>(Prisma.sql`SELECT ${expression} AS v`);
  return row!.v;
}
const todayIn = (zone: string) => inDatabase(Prisma.sql`to_char((now() AT TIME ZONE ${zone})::date, 'YYYY-MM-DD')`);

const admin = (method: "GET" | "PATCH" | "POST", url: string, payload?: unknown) =>
  s.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: payload as object });

describe("the OPEN API's daily limit", () => {
  it("counts each store of a pool on its own local date", async () => {
    const { east, west } = await twoZones();
    // The days before and after the calls: a midnight passing between them leaves either one right.
    const before = { east: await todayIn(EAST), west: await todayIn(WEST) };
    for (const store of [east, west]) {
      const r = await s.form("/api/open/save", {
        id: store.id,
        auth_code: store.auth_code,
        device: "openapi",
        number: "010-9141-0001",
        count: 1,
      });
      expect(r.result).toBe(true);
    }
    const after = { east: await todayIn(EAST), west: await todayIn(WEST) };
    const days = async (storeId: number) =>
      (await s.db.prisma.dailyUsage.findMany({ where: { storeId } })).map((u) => ({
        day: u.day.toISOString().slice(0, 10),
        calls: u.calls,
      }));
    const [eastDays, westDays] = [await days(east.id), await days(west.id)];
    expect(eastDays).toHaveLength(1);
    expect(westDays).toHaveLength(1);
    expect([before.east, after.east]).toContain(eastDays[0]!.day);
    expect([before.west, after.west]).toContain(westDays[0]!.day);
    expect(eastDays[0]!.day).not.toBe(westDays[0]!.day);
    expect(await s.services.stores.callsOn(east.id, eastDays[0]!.day)).toBe(1);
  });
});

describe("the console's today", () => {
  it("sums each store's figures on its own local date", async () => {
    const { east, west } = await twoZones();
    const before = { east: await todayIn(EAST), west: await todayIn(WEST) };
    const r = await s.form("/api/open/save", {
      id: west.id,
      auth_code: west.auth_code,
      device: "openapi",
      number: "010-9141-0004",
      count: 3,
    });
    expect(r.result).toBe(true);
    const now = new Date();
    const after = { east: await todayIn(EAST), west: await todayIn(WEST) };
    const today = new TodayService(s.db, s.config.TIME_ZONE);
    const [eastToday, westToday] = [await today.figures(east.id, now), await today.figures(west.id, now)];
    expect([before.west, after.west]).toContain(westToday.day);
    expect(westToday).toMatchObject({ saves: 1, saved: 3 });
    expect([before.east, after.east]).toContain(eastToday.day);
    expect(eastToday).toMatchObject({ saves: 0, saved: 0 });
  });
});

/** A store's key and one stamp of its card, valid on 2030-03-11 only. */
async function stampOf(store: { id: number }) {
  const { key } = await s.services.apiKeys.create({ store: store.id, plan: "personal" });
  const card = (await s.services.cards.create({ store: store.id, name: "Card", title: "t", maxStamps: 10 })).cardIdx;
  const created = await stampClient(s, key)("create", { cardIdx: card, strtYmd: "2030-03-11", endYmd: "2030-03-11" });
  expect(created).toMatchObject({ status: 200, result: expect.stringMatching(/^\d+$/) });
  return { key, stampIdx: Number(created.result) };
}

describe("the stamp API", () => {
  async function validity(service: StampService, key: string, stampIdx: number) {
    try {
      await service.validate(key, stampIdx);
      return "ok";
    } catch (err) {
      if (!(err instanceof StampError)) throw err;
      return err.reason;
    }
  }

  it("checks a stamp's validity on its store's day, rolls the day window at its midnight, writes regYmdt in its zone", async () => {
    const { east, west } = await twoZones("stamp");
    const [e, w] = [await stampOf(east), await stampOf(west)];
    const { clock, service } = pinnedStampService(s);

    // 12:00 UTC on 10 March: 02:00 on the 11th in the east, 00:00 on the 10th in the west.
    clock.now = new Date("2030-03-10T12:00:00Z");
    expect(await validity(service, e.key, e.stampIdx)).toBe("ok");
    expect(await validity(service, w.key, w.stampIdx)).toBe("not_started");
    const dayStart = async (storeId: number) => (await s.db.prisma.rateUsage.findUniqueOrThrow({ where: { storeId } })).dayStart;
    expect(await dayStart(east.id)).toEqual(new Date("2030-03-10T10:00:00Z"));
    expect(await dayStart(west.id)).toEqual(new Date("2030-03-10T12:00:00Z"));

    // A day later: the 12th in the east, the 11th in the west.
    clock.now = new Date("2030-03-11T12:00:00Z");
    expect(await validity(service, e.key, e.stampIdx)).toBe("expired");
    expect(await validity(service, w.key, w.stampIdx)).toBe("ok");

    // The payload's registration time is in the store's zone too.
    for (const [shop, zone] of [
      [e, EAST],
      [w, WEST],
    ] as const) {
      clock.now = new Date(shop === e ? "2030-03-10T12:00:00Z" : "2030-03-11T12:00:00Z");
      const { regYmdt } = (await service.validate(shop.key, shop.stampIdx)).result;
      const registered = Prisma.sql`SELECT created_at FROM stamp WHERE id = ${shop.stampIdx}`;
      expect(regYmdt).toBe(await inDatabase(Prisma.sql`to_char((${registered}) AT TIME ZONE ${zone}, 'YYYY-MM-DD HH24:MI:SS')`));
    }
  });
});

describe("the stamp page and the console's stamps", () => {
  it("the stamp page reads a stamp's validity on its store's day", async () => {
    const { east, west } = await twoZones("stamp");
    const [e, w] = [await stampOf(east), await stampOf(west)];
    const { clock, service } = pinnedStampService(s);
    const pageOf = async (stampIdx: number) => (await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx } })).pageCode;
    clock.now = new Date("2030-03-10T12:00:00Z"); // the 11th in the east, the 10th in the west
    expect((await service.readPage(e.stampIdx, await pageOf(e.stampIdx)))?.unusable).toBeNull();
    expect((await service.readPage(w.stampIdx, await pageOf(w.stampIdx)))?.unusable).toBe("not_started");
    clock.now = new Date("2030-03-11T12:00:00Z"); // the 12th in the east, the 11th in the west
    expect((await service.readPage(e.stampIdx, await pageOf(e.stampIdx)))?.unusable).toBe("expired");
    expect((await service.readPage(w.stampIdx, await pageOf(w.stampIdx)))?.unusable).toBeNull();
  });

  it("a card issued at the console is valid from its store's today", async () => {
    const { east, west } = await twoZones("stamp");
    const { clock, service } = pinnedStampService(s);
    clock.now = new Date("2030-03-10T12:00:00Z"); // the 11th in the east, the 10th in the west
    for (const [store, from] of [
      [east, "2030-03-11"],
      [west, "2030-03-10"],
    ] as const) {
      const card = (await s.services.cards.create({ store: store.id, name: "Card", title: "t", maxStamps: 10 })).cardIdx;
      const issued = await service.issueOfStore(
        { storeId: store.id, login: "owner" },
        { cardIdx: card, phone: "010-9141-0005", userName: null, months: 1 },
      );
      expect(issued.status).toBe("ok");
      const stamp = await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: issued.stampIdx! } });
      expect(stamp.validFrom.toISOString().slice(0, 10)).toBe(from);
    }
  });
});

describe("setting a store's zone", () => {
  it("is shown by store list, set and returned to the server's with `default`", async () => {
    const store = await s.services.stores.create({ name: "Zoned" });
    expect((await s.services.stores.get(store.id)).time_zone).toBeNull();
    const set = await stampd(["store", "set", "--id", String(store.id), "--time-zone", EAST, "--json"], s.database.env);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ id: store.id, time_zone: EAST });
    const list = await stampd(["store", "list", "--json"], s.database.env);
    expect((JSON.parse(list.stdout) as { id: number; time_zone: string | null }[]).find((x) => x.id === store.id)?.time_zone).toBe(EAST);
    const reset = await admin("PATCH", `/admin/stores/${store.id}`, { timeZone: "default" });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ time_zone: null });
  });

  it("refuses an unknown zone with a clear error and changes nothing", async () => {
    const store = await s.services.stores.create({ name: "Zoned", timeZone: WEST, dailyLimit: 7 });
    const before = await s.services.stores.get(store.id);

    const cli = await stampd(
      ["store", "set", "--id", String(store.id), "--time-zone", "Mars/Olympus", "--daily-limit", "9"],
      s.database.env,
    );
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/not a known IANA time zone/);
    const api = await admin("PATCH", `/admin/stores/${store.id}`, { timeZone: "Mars/Olympus", dailyLimit: 9 });
    expect(api.statusCode).toBe(400);
    expect(api.body).toMatch(/not a known IANA time zone/);
    const created = await admin("POST", "/admin/stores", { name: "Nowhere", timeZone: "Mars/Olympus" });
    expect(created.statusCode).toBe(400);
    // The service asks PostgreSQL too; the database's CHECK is the backstop.
    await expect(s.services.stores.set(store.id, { timeZone: "Mars/Olympus", dailyLimit: 9 })).rejects.toThrow(
      /Mars\/Olympus is not a time zone PostgreSQL knows/,
    );
    await expect(s.db.query(Prisma.sql`UPDATE store SET time_zone = 'Mars/Olympus' WHERE id = ${store.id}`)).rejects.toThrow();

    expect(await s.services.stores.get(store.id)).toEqual(before);
    expect((await s.services.stores.list()).some((x) => x.name === "Nowhere")).toBe(false);
  });
});

describe("exports and imports", () => {
  it("write each store's dates in its own zone, as the console's customer page shows them", async () => {
    const { east, west } = await twoZones();
    const r = await s.form("/api/open/save", {
      id: east.id,
      auth_code: east.auth_code,
      device: "openapi",
      number: "010-9141-0002",
      count: 2,
    });
    expect(r.result).toBe(true);
    const memberNo = r.member_no as number;
    const local = (zone: string, at: Prisma.Sql) => inDatabase(Prisma.sql`to_char((${at}) AT TIME ZONE ${zone}, 'YYYY-MM-DD HH24:MI:SS')`);
    const joined = Prisma.sql`SELECT created_at FROM member WHERE id = ${memberNo}`;
    const saved = Prisma.sql`SELECT e.created_at FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id WHERE a.member_id = ${memberNo}`;
    for (const [store, zone] of [
      [east, EAST],
      [west, WEST],
    ] as const) {
      const members = (await admin("GET", `/admin/stores/${store.id}/export/members.csv`)).body;
      expect(members).toContain(`${memberNo},010-9141-0002,2,${await local(zone, joined)},`);
      const history = (await admin("GET", `/admin/stores/${store.id}/export/history.csv`)).body;
      expect(history).toContain(`,${await local(zone, saved)},${memberNo},`);
      const desk = new MemberService({
        db: s.db,
        points: s.services.points,
        expiry: s.services.expiry,
        phones: { region: "KR", foreign: false },
        timeZone: s.config.TIME_ZONE,
      });
      const page = await desk.member({ login: "owner", storeId: store.id, poolId: store.pool }, memberNo, 1);
      expect(page?.history[0]?.date).toBe((await local(zone, saved)).slice(0, 16));
    }
  });

  it("read an import's `joined` dates in the store's zone", async () => {
    const { east } = await twoZones();
    const file = Buffer.from(["member_no,phone,balance,joined", ",010-9141-0003,4,2022-03-04", ""].join("\n"));
    await s.services.imports.importMembers(east.id, file, { dryRun: false });
    const member = await s.db.prisma.member.findFirstOrThrow({ where: { phone: "+821091410003" } });
    // Midnight of 4 March 2022 at UTC+14.
    expect(member.createdAt).toEqual(new Date("2022-03-03T10:00:00Z"));
  });
});
