// The console's customers and figures as services, on the real database (embedded, or PostgreSQL
// with DATABASE_URL): changes go through the OPEN API's path (the API sees them, under its rules),
// look-ups find only members known to the user's pool, a customer's history names the branch and
// the console user of each row, and the day's figures count the store's own rows in its time zone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { MemberService, parseMemberQuery, parseMemberRef, type DeskUser } from "../src/console/members/service.js";
import { maskedPhone } from "../src/platform/phone.js";
import { TodayService } from "../src/console/today/service.js";
import { PointsError } from "../src/stampang/answers.js";
import { startTestServer, type TestServer } from "./support/server.js";

const KR = { region: "KR" as const, foreign: false };

let s: TestServer;
let members: MemberService;
let today: TodayService;

beforeAll(async () => {
  s = await startTestServer();
  members = new MemberService({
    db: s.db,
    points: s.services.points,
    expiry: s.services.expiry,
    phones: KR,
    timeZone: s.config.TIME_ZONE,
  });
  today = new TodayService(s.db, s.config.TIME_ZONE);
});
afterAll(() => s?.stop());

type Store = Awaited<ReturnType<TestServer["services"]["stores"]["create"]>>;

/** A store (in a pool of its own, or in `pool`'s) and a console user of it. */
async function storeWithUser(name: string, login: string, extra: { pool?: number; branch?: string } = {}) {
  const store = await s.services.stores.create({ name, ...extra });
  const user: DeskUser = { login, storeId: store.id, poolId: store.pool };
  return { store, user };
}

const openApi = (store: Store, path: string, params: Record<string, string | number>) =>
  s.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (err: unknown) => (err instanceof PointsError ? err.reason : Promise.reject(err as Error)),
  );

describe("reading what staff type", () => {
  it.each([
    ["010-1234-5678", { phone: "+821012345678" }],
    ["+82 10 1234 5678", { phone: "+821012345678" }],
    [" 01012345678 ", { phone: "+821012345678" }],
    ["5678", { last4: "5678", memberNo: 5678 }],
    ["0042", { last4: "0042", memberNo: 42 }],
    ["42", { memberNo: 42 }],
    ["123456", { memberNo: 123456 }],
    ["kim", null],
    ["", null],
    ["0", null],
    ["99999999999", null],
  ])("a look-up of %j is %j", (text, query) => expect(parseMemberQuery(text, KR)).toEqual(query));

  it.each([
    ["010-1234-5678", { phone: "+821012345678" }],
    ["5678", { memberNo: 5678 }],
    ["010-12", null],
  ])("a receiver %j is %j", (text, ref) => expect(parseMemberRef(text, KR)).toEqual(ref));

  it("shows phones with the middle digits hidden", () => {
    expect(maskedPhone("+821012345678", KR)).toBe("010-****-5678");
    expect(maskedPhone("+819012345678", { region: "KR", foreign: true })).toBe("+81 9* **** 5678");
  });
});

describe("changes go the OPEN API's way", () => {
  it("a save by phone registers the customer, and the OPEN API reads the new balance", async () => {
    const { store, user } = await storeWithUser("Counter cafe", "counter-1");
    const first = await members.save(user, { phone: "+821030000001" }, 2, "key-save-1");
    const second = await members.save(user, { phone: "+821030000001" }, 3, "key-save-2");
    expect(second).toEqual({ memberNo: first.memberNo, balance: 5 });
    expect(await openApi(store, "balance", { number: "010-3000-0001" })).toEqual({
      result: true,
      msg: "ok",
      member_no: first.memberNo,
      total_count: 5,
    });
  });

  it("the same form key saves once, however often it is sent (a double-tap)", async () => {
    const { user } = await storeWithUser("Double tap", "double-1");
    const answers = await Promise.all([1, 2, 3].map(() => members.save(user, { phone: "+821030000002" }, 4, "form-key-1")));
    expect(new Set(answers.map((a) => a.balance))).toEqual(new Set([4]));
    const rows = await s.db.prisma.ledgerEntry.count({ where: { storeId: user.storeId } });
    expect(rows).toBe(1);
  });

  it("a use beyond the balance is refused and changes nothing", async () => {
    const { user } = await storeWithUser("Use cafe", "use-1");
    const { memberNo } = await members.save(user, { phone: "+821030000003" }, 3, "use-1-save");
    expect(await refusal(members.use(user, { memberNo }, 4, "use-1-use"))).toBe("insufficient_balance");
    const page = await members.member(user, memberNo, 1);
    expect([page!.balance, page!.history.length]).toEqual([3, 1]);
    expect(await members.use(user, { memberNo }, 3, "use-1-use-all")).toEqual({ memberNo, balance: 0 });
  });

  it("counts above the store's unit ceiling are refused as the API refuses them", async () => {
    const { user } = await storeWithUser("Ceiling cafe", "ceiling-1");
    expect(await refusal(members.save(user, { phone: "+821030000004" }, 101, "ceiling-1"))).toBe("invalid_count");
  });

  it("a transfer registers a new receiver; cancel reverses a row once, and never a transfer's", async () => {
    const { user } = await storeWithUser("Transfer cafe", "transfer-1");
    const giver = await members.save(user, { phone: "+821030000005" }, 10, "transfer-1-save");
    const moved = await members.transfer(user, { memberNo: giver.memberNo }, { phone: "+821030000006" }, 4, "transfer-1-move");
    expect([moved.balance, moved.to.balance]).toEqual([6, 4]);

    const page = await members.member(user, giver.memberNo, 1);
    const [transferRow, saveRow] = page!.history;
    expect([transferRow!.kind, transferRow!.cancellable, saveRow!.kind, saveRow!.cancellable]).toEqual(["transfer", false, "save", true]);
    expect(await refusal(members.cancel(user, { memberNo: giver.memberNo }, transferRow!.id, "transfer-1-c1"))).toBe("history_not_found");
    // Undoing the save of 10 would leave -4.
    expect(await refusal(members.cancel(user, { memberNo: giver.memberNo }, saveRow!.id, "transfer-1-c2"))).toBe("insufficient_balance");

    const use = await members.use(user, { memberNo: moved.to.memberNo }, 1, "transfer-1-use");
    const useRow = (await members.member(user, use.memberNo, 1))!.history[0]!;
    expect(await members.cancel(user, { memberNo: use.memberNo }, useRow.id, "transfer-1-c3")).toEqual({
      memberNo: use.memberNo,
      balance: 4,
    });
    expect(await refusal(members.cancel(user, { memberNo: use.memberNo }, useRow.id, "transfer-1-c4"))).toBe("already_reversed");
    const after = (await members.member(user, use.memberNo, 1))!.history;
    expect(after.map((r) => [r.kind, r.delta, r.cancellable])).toEqual([
      ["reversal", 1, false],
      ["use", -1, false],
      ["transfer", 4, false],
    ]);
  });
});

describe("look-up, only within the user's pool", () => {
  it("finds a customer by full phone in any format, by the last 4 digits, or by member number", async () => {
    const { user } = await storeWithUser("Lookup cafe", "lookup-1");
    const kim = await members.save(user, { phone: "+821031117777" }, 1, "lookup-1-a");
    const lee = await members.save(user, { phone: "+821032227777" }, 2, "lookup-1-b");
    await members.save(user, { phone: "+821033338888" }, 3, "lookup-1-c");
    const find = async (text: string) => (await members.search(user, parseMemberQuery(text, KR)!)).map((m) => m.memberNo);

    expect(await find("010-3111-7777")).toEqual([kim.memberNo]);
    expect(await find("+82 10 3111 7777")).toEqual([kim.memberNo]);
    // Both end in 7777; the one seen last first.
    expect(await find("7777")).toEqual([lee.memberNo, kim.memberNo]);
    expect(await find(String(kim.memberNo))).toEqual([kim.memberNo]);

    const [row] = await members.search(user, { phone: "+821032227777" });
    expect(row).toEqual({
      memberNo: lee.memberNo,
      phone: "010-****-7777",
      balance: 2,
      lastVisit: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d$/),
    });
  });

  it("does not find another pool's customer, by phone, digits or number, nor show their page", async () => {
    const { user } = await storeWithUser("Private cafe", "private-1");
    const other = await storeWithUser("Other pool", "private-2");
    const theirs = await members.save(other.user, { phone: "+821034449999" }, 5, "private-1-a");

    expect(await members.search(user, { phone: "+821034449999" })).toEqual([]);
    expect(await members.search(user, { last4: "9999", memberNo: 9999 })).toEqual([]);
    expect(await members.search(user, { memberNo: theirs.memberNo })).toEqual([]);
    expect(await members.member(user, theirs.memberNo, 1)).toBeNull();
    expect(await refusal(members.use(user, { memberNo: theirs.memberNo }, 1, "private-1-b"))).toBe("member_not_found");
    expect(await refusal(members.save(user, { memberNo: theirs.memberNo }, 1, "private-1-c"))).toBe("member_not_found");
  });
});

describe("a customer's page", () => {
  it("shows the balance and the history newest first, with the branch and the console user of each row, in pages", async () => {
    const { store: main, user: owner } = await storeWithUser("Chain", "chain-owner", { branch: "Gangnam" });
    const { store: branch, user: clerk } = await storeWithUser("Chain", "chain-clerk", { pool: main.id, branch: "Mapo" });
    const { memberNo } = await members.save(owner, { phone: "+821035550001" }, 1, "chain-1");
    await members.save(clerk, { phone: "+821035550001" }, 2, "chain-2");
    await openApi(branch, "save", { number: "01035550001", count: 3 });

    const page = await members.member(owner, memberNo, 1);
    expect(page).toMatchObject({ memberNo, phone: "010-****-0001", balance: 6, unit: "stamp", page: 1, hasNextPage: false });
    expect(page!.history.map((r) => [r.delta, r.balanceAfter, r.place, r.loginId, r.consoleLogin])).toEqual([
      [3, 6, "Mapo", branch.login_id, null],
      [2, 3, "Mapo", branch.login_id, "chain-clerk"],
      [1, 1, "Gangnam", main.login_id, "chain-owner"],
    ]);

    for (let i = 0; i < 22; i++) await openApi(main, "save", { number: "01035550001", count: 1 });
    const first = await members.member(owner, memberNo, 1);
    const second = await members.member(owner, memberNo, 2);
    expect([first!.history.length, first!.hasNextPage, second!.history.length, second!.hasNextPage]).toEqual([20, true, 5, false]);
    expect(second!.history.at(-1)!.consoleLogin).toBe("chain-owner");
    expect(first!.history[0]!.id).toBeGreaterThan(second!.history[0]!.id);
  });
});

describe("the day's figures", () => {
  it("counts today's saves, uses, new customers and card stamps of the store, and 30 days of saves and uses", async () => {
    const { store, user } = await storeWithUser("Figures cafe", "figures-1");
    const { user: neighbour } = await storeWithUser("Neighbour", "figures-2", { pool: store.id });
    const regular = await members.save(neighbour, { phone: "+821036660001" }, 5, "figures-0");
    await members.save(user, { phone: "+821036660001" }, 2, "figures-1");
    await members.save(user, { phone: "+821036660002" }, 3, "figures-2");
    await members.use(user, { memberNo: regular.memberNo }, 4, "figures-3");
    await members.transfer(user, { memberNo: regular.memberNo }, { phone: "+821036660003" }, 1, "figures-4");
    const reversed = await members.save(user, { phone: "+821036660004" }, 9, "figures-5");
    const reversedRow = (await members.member(user, reversed.memberNo, 1))!.history[0]!;
    await members.cancel(user, { memberNo: reversed.memberNo }, reversedRow.id, "figures-6");
    const card = await s.services.cards.create({ store: store.id, name: "Coffee", title: "Ten coffees", maxStamps: 10 });
    const { key } = await s.services.apiKeys.create({ store: store.id, plan: "personal" });
    const year = new Date().getUTCFullYear();
    const { result: stampIdx } = await s.services.stamps.create(key, {
      cardIdx: card.cardIdx,
      validFrom: `${year - 1}-01-01`,
      validUntil: `${year + 1}-12-31`,
    });
    for (let i = 0; i < 3; i++) await s.services.stamps.add(key, stampIdx);

    const now = new Date();
    const figures = await today.figures(store.id, now);
    // Saves that stand: 2 and 3 (the 9 was reversed); new: 0002 by save, 0003 by transfer, 0004 by its save.
    expect(figures).toMatchObject({ saves: 2, saved: 5, uses: 1, used: 4, newMembers: 3, cardStamps: 3 });
    expect(figures.days).toHaveLength(30);
    expect(figures.days.at(-1)).toEqual({ day: figures.day, saves: 2, saved: 5, uses: 1, used: 4, newMembers: 3, cardStamps: 3 });
    expect(figures.days.slice(0, -1).every((d) => d.saves + d.uses + d.newMembers + d.cardStamps === 0)).toBe(true);
    expect(figures.days[0]!.day < figures.days[1]!.day).toBe(true);

    // A day later, today's rows are yesterday's: on the chart, not in the day's figures.
    const tomorrow = await today.figures(store.id, new Date(now.getTime() + 24 * 3600 * 1000));
    expect(tomorrow).toMatchObject({ saves: 0, uses: 0, newMembers: 0, cardStamps: 0 });
    expect(tomorrow.days.at(-2)).toMatchObject({ day: figures.day, saves: 2, uses: 1 });
  });

  it("takes a save cancelled by another branch out of the figures of the branch that made it", async () => {
    const { store, user } = await storeWithUser("Saving branch", "branch-saves");
    const { store: other, user: canceller } = await storeWithUser("Cancelling branch", "branch-cancels", { pool: store.id });
    const { memberNo } = await members.save(user, { phone: "+821036660005" }, 4, "branches-1");
    await members.save(user, { phone: "+821036660005" }, 1, "branches-2");
    const [, first] = (await members.member(canceller, memberNo, 1))!.history;
    await members.cancel(canceller, { memberNo }, first!.id, "branches-3");

    const now = new Date();
    expect(await today.figures(store.id, now)).toMatchObject({ saves: 1, saved: 1, newMembers: 1 });
    expect(await today.figures(other.id, now)).toMatchObject({ saves: 0, saved: 0, uses: 0, newMembers: 0 });
  });

  it("cuts days at midnight in the time zone", async () => {
    const { store, user } = await storeWithUser("Midnight cafe", "midnight-1");
    await members.save(user, { phone: "+821037770001" }, 1, "midnight-1");
    // The store's day now, and the midnight that started it.
    const [midnight] = await s.db.query<{ day: string; start: Date }>(Prisma.sql`
      SELECT to_char(now() AT TIME ZONE ${s.config.TIME_ZONE}, 'YYYY-MM-DD') AS day,
             (now() AT TIME ZONE ${s.config.TIME_ZONE})::date::timestamp AT TIME ZONE ${s.config.TIME_ZONE} AS start`);
    const { day: seoul, start } = midnight!;
    expect(await today.figures(store.id, new Date(start))).toMatchObject({ day: seoul, saves: 1 });
    const before = await today.figures(store.id, new Date(start.getTime() - 1));
    expect(before.day).not.toBe(seoul);
    expect(before.days.reduce((n, d) => n + d.saves, 0)).toBe(0);
  });

  it("keeps in its slots exactly what a count of the stores' ledger rows gives", async () => {
    const { store: first, user: a } = await storeWithUser("Slots A", "slots-a");
    const { store: second, user: b } = await storeWithUser("Slots B", "slots-b", { pool: first.id });
    const kim = await members.save(a, { phone: "+821036660011" }, 7, "slots-1");
    await members.save(b, { phone: "+821036660012" }, 2, "slots-2");
    await members.use(b, { memberNo: kim.memberNo }, 3, "slots-3");
    await members.transfer(a, { memberNo: kim.memberNo }, { phone: "+821036660013" }, 1, "slots-4");
    await members.transfer(b, { memberNo: kim.memberNo }, { phone: "+821036660012" }, 1, "slots-5");
    const use = (await members.member(a, kim.memberNo, 1))!.history.find((r) => r.kind === "use");
    await members.cancel(a, { memberNo: kim.memberNo }, use!.id, "slots-6");
    await members.save(b, { phone: "+821036660011" }, 5, "slots-7");

    // The rows counted as the migration summed those written before it.
    const stores = [first.id, second.id];
    const slots = await s.db.query<Record<string, number>>(Prisma.sql`
      SELECT store_id, sum(saves)::int AS saves, sum(saved)::int AS saved, sum(uses)::int AS uses, sum(used)::int AS used,
             sum(new_members)::int AS new_members, sum(card_stamps)::int AS card_stamps
        FROM store_activity WHERE store_id IN (${Prisma.join(stores)}) GROUP BY store_id ORDER BY store_id`);
    const rows = await s.db.query<Record<string, number>>(Prisma.sql`
      SELECT e.store_id,
             (count(*) FILTER (WHERE e.kind = 'save' AND NOT e.reversed))::int AS saves,
             (COALESCE(sum(e.delta) FILTER (WHERE e.kind = 'save' AND NOT e.reversed), 0))::int AS saved,
             (count(*) FILTER (WHERE e.kind = 'use' AND NOT e.reversed))::int AS uses,
             (COALESCE(-sum(e.delta) FILTER (WHERE e.kind = 'use' AND NOT e.reversed), 0))::int AS used,
             (count(*) FILTER (WHERE e.kind IN ('save', 'transfer') AND e.delta > 0
                 AND NOT EXISTS (SELECT 1 FROM ledger_entry p WHERE p.account_id = e.account_id AND p.id < e.id)))::int AS new_members,
             (COALESCE(sum(e.delta) FILTER (WHERE e.kind = 'stamp_add'), 0))::int AS card_stamps
        FROM ledger_entry e
       WHERE e.store_id IN (${Prisma.join(stores)}) AND e.kind IN ('save', 'use', 'transfer', 'stamp_add')
       GROUP BY e.store_id ORDER BY e.store_id`);
    expect(slots).toEqual(rows);
    // The use was B's: A's cancel takes it out of B's figures.
    expect(slots.map((r) => [r.saves, r.uses, r.new_members])).toEqual([
      [1, 0, 2],
      [2, 0, 1],
    ]);
  });

  it("stampd verify finds a slot that no longer matches its ledger rows", async () => {
    const { user } = await storeWithUser("Slots C", "slots-c");
    await members.save(user, { phone: "+821036670001" }, 4, "slots-c-1");
    const tamper = (by: number) => s.db.query(Prisma.sql`UPDATE store_activity SET saved = saved + ${by} WHERE store_id = ${user.storeId}`);
    await tamper(5);
    try {
      const report = await s.services.verify();
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        expect.stringMatching(
          new RegExp(
            `^store ${user.storeId}, slot [0-9: -]+ UTC: activity \\(saves, saved, uses, used, new members, card stamps\\) \\(1,9,0,0,1,0\\) but its ledger rows give \\(1,4,0,0,1,0\\)$`,
          ),
        ),
      ]);
    } finally {
      await tamper(-5);
    }
    expect(await s.services.verify()).toMatchObject({ ok: true });
  });
});
