// Seeing what will expire (shared/spec/expiry.md): `stampd report expiring` and
// GET /admin/stores/<id>/expiring, the console's customer page and list, and the exports, on a
// server whose clock the test sets (embedded database, or PostgreSQL with DATABASE_URL). A lot
// whose end has passed but that nobody has expired yet is never shown as expiring, nor as part
// of a balance.
import { expect, it, describe } from "vitest";
import type { Page } from "playwright-core";
import { Prisma } from "../src/generated/prisma/client.js";
import { consoleUser, logIn, serverWithBrowser } from "./support/console.js";
import { stampd } from "./support/cli.js";

const ADMIN_TOKEN = "admin-token-0123456789abcdef";
/** UTC+14 and UTC-12: their dates always differ. */
const EAST = "Pacific/Kiritimati";
const WEST = "Etc/GMT+12";

/** The server's clock: every ledger call, and the console's logins, happen at `clock.now`. */
const clock = { now: new Date("2030-01-01T00:00:00Z") };
const t = serverWithBrowser({ ADMIN_TOKEN, TIME_ZONE: "Asia/Seoul" }, { clock: () => clock.now, webhookWorker: false });
const { describeInBrowser, newPhone } = t;

type Store = { id: number; auth_code: string; pool: number };

const at = (iso: string) => {
  clock.now = new Date(iso);
};
const call = (store: Store, path: string, params: Record<string, string | number>) =>
  t.s.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });
/** Saves `count` for `phone` and answers the member number. */
const save = async (store: Store, phone: string, count: number) =>
  (await call(store, "save", { number: phone, count })).member_no as number;

/** A store (stamps unless told) in a pool of its own with a period of `days`, in Asia/Seoul unless given a zone. */
const storeWithPeriod = (days: number | null, extra: { timeZone?: string; unit?: "stamp" | "point" } = {}): Promise<Store> =>
  t.s.services.stores.create({ name: "Expiry cafe", expiryDays: days, ...extra });

const admin = (url: string) => t.s.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
/** The report of the admin API: its lines. */
async function report(store: Store, within: number | string): Promise<unknown[]> {
  const res = await admin(`/admin/stores/${store.id}/expiring?within=${within}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
/** A line of the report; the phone as the report masks it (the first 3 and the last 4 digits). */
const line = (date: string, member_no: number, phone: string, count: number) => ({
  date,
  member_no,
  phone: phone.replace(/^(\d{3})-\d{4}-/, "$1-****-"),
  count,
});

/** What a report must not change: the pool's rows and lots. */
const ledgerOf = (store: Store) =>
  t.s.db.query(Prisma.sql`
    SELECT e.id, e.kind, e.delta, l.remaining, l.expired
      FROM ledger_account a JOIN ledger_entry e ON e.account_id = a.id LEFT JOIN ledger_lot l ON l.entry_id = e.id
     WHERE a.pool_id = ${store.pool} ORDER BY e.id`);

describe("the report's window (admin API)", () => {
  it("takes lots whose last day is at most today + N in the store's zone, soonest first, one line per member and day", async () => {
    const cafe = await storeWithPeriod(10);
    at("2030-01-10T03:00:00Z"); // 12:00 on 10 January in Seoul: lasts to the end of 20 January
    const kim = await save(cafe, "010-3500-0001", 2);
    const lee = await save(cafe, "010-3500-0002", 4);
    at("2030-01-11T03:00:00Z"); // to the end of 21 January
    await save(cafe, "010-3500-0001", 3);
    await save(cafe, "010-3500-0001", 1);

    at("2030-01-12T03:00:00Z"); // today is 12 January
    expect(await report(cafe, 8)).toEqual([line("2030-01-20", kim, "010-3500-0001", 2), line("2030-01-20", lee, "010-3500-0002", 4)]);
    expect(await report(cafe, 9)).toEqual([
      line("2030-01-20", kim, "010-3500-0001", 2),
      line("2030-01-20", lee, "010-3500-0002", 4),
      line("2030-01-21", kim, "010-3500-0001", 4),
    ]);
    expect(await report(cafe, 7)).toEqual([]);
  });

  it("shows what is left of a lot, and only lots that expire: credits made without a period never do", async () => {
    const cafe = await storeWithPeriod(null);
    at("2030-01-10T03:00:00Z");
    const park = await save(cafe, "010-3500-0003", 5);
    await t.s.services.stores.set(cafe.id, { expiryDays: 30 });
    await save(cafe, "010-3500-0003", 4);
    await call(cafe, "use", { number: "010-3500-0003", count: 3 }); // from the lot that expires first
    expect(await report(cafe, 30)).toEqual([line("2030-02-09", park, "010-3500-0003", 1)]);
    expect(await call(cafe, "balance", { number: "010-3500-0003" })).toMatchObject({ total_count: 6 });
  });

  it("leaves out a lot already due but not yet expired, and changes nothing", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-02-01T03:00:00Z"); // lasts to the end of 2 February in Seoul: 2030-02-02T15:00Z
    const choi = await save(cafe, "010-3500-0004", 3);
    const ledger = await ledgerOf(cafe);

    at("2030-02-02T14:59:59.999Z"); // the last moment of its last day
    expect(await report(cafe, 1)).toEqual([line("2030-02-02", choi, "010-3500-0004", 3)]);
    at("2030-02-02T15:00:00Z"); // ended: expired, though nobody has touched the account
    expect(await report(cafe, 1)).toEqual([]);
    expect(await report(cafe, 3650)).toEqual([]);
    expect(await ledgerOf(cafe)).toEqual(ledger);
  });

  it("reads today in the reporting store's zone and each lot's last day in its crediting store's zone", async () => {
    const east = await storeWithPeriod(1, { timeZone: EAST });
    const west = await t.s.services.stores.create({ name: "West", timeZone: WEST, pool: east.id });
    at("2030-03-10T12:00:00Z"); // 11 March 02:00 in the east, 10 March 00:00 in the west
    const jung = await save(east, "010-3500-0005", 1); // lasts to the end of 12 March in the east: 2030-03-12T10:00Z
    await save(west, "010-3500-0005", 2); // to the end of 11 March in the west: 2030-03-12T12:00Z

    // Today is 11 March in the east and 10 March in the west.
    expect(await report(east, 1)).toEqual([line("2030-03-11", jung, "010-3500-0005", 2), line("2030-03-12", jung, "010-3500-0005", 1)]);
    expect(await report(west, 1)).toEqual([line("2030-03-11", jung, "010-3500-0005", 2)]);
    expect(await report(west, 2)).toEqual(await report(east, 1));

    at("2030-03-12T10:00:00Z"); // the east's lot has ended; the west's has two hours left
    expect(await report(west, 5)).toEqual([line("2030-03-11", jung, "010-3500-0005", 2)]);
    expect(await report(east, 5)).toEqual([line("2030-03-11", jung, "010-3500-0005", 2)]);
  });

  it("refuses a bad window or an unknown store, clearly, and changes nothing", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-04-01T03:00:00Z");
    await save(cafe, "010-3500-0006", 2);
    at("2030-04-05T03:00:00Z"); // the lot is due, not expired
    const ledger = await ledgerOf(cafe);
    for (const within of ["0", "3651", "-1", "1.5", "abc", ""]) {
      const res = await admin(`/admin/stores/${cafe.id}/expiring?within=${within}`);
      expect([within, res.statusCode, res.json()]).toEqual([
        within,
        400,
        { error: "INVALID_ARGUMENT", message: "within: must be a whole number from 1 to 3650" },
      ]);
    }
    const missing = await admin(`/admin/stores/${cafe.id}/expiring`);
    expect([missing.statusCode, missing.json().error]).toEqual([400, "INVALID_ARGUMENT"]);
    expect(missing.json().message).toMatch(/^within: /);
    const unknown = await admin(`/admin/stores/999999/expiring?within=30`);
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: "NOT_FOUND", message: "store 999999 not found" }]);
    expect((await t.s.app.inject({ method: "GET", url: `/admin/stores/${cafe.id}/expiring?within=30` })).statusCode).toBe(401);

    const cli = (...args: string[]) => stampd(["report", "expiring", ...args], t.s.database.env);
    expect(await cli("--store", String(cafe.id), "--within", "3651")).toEqual({
      code: 2,
      stdout: "",
      stderr: "stampd: --within: must be a whole number from 1 to 3650\n",
    });
    expect(await cli("--store", String(cafe.id))).toEqual({
      code: 2,
      stdout: "",
      stderr: "stampd: required option '--within <days>' not specified\n",
    });
    expect(await cli("--store", "999999", "--within", "30")).toEqual({ code: 2, stdout: "", stderr: "stampd: store 999999 not found\n" });
    expect(await ledgerOf(cafe)).toEqual(ledger);
  });
});

describe("stampd report expiring", () => {
  // On PostgreSQL the command opens the database itself, on its clock; on the embedded database
  // it asks the server, on the test's. So the clock is set to now, and the lots end days away.
  it("prints a table with a header, or with --json the admin API's array", async () => {
    at(new Date().toISOString());
    const cafe = await storeWithPeriod(10);
    const han = await save(cafe, "010-3501-0001", 2);
    const yoon = await save(cafe, "010-3501-0002", 12);
    await t.s.services.stores.set(cafe.id, { expiryDays: 20 });
    await save(cafe, "010-3501-0001", 7);
    const cli = (...args: string[]) => stampd(["report", "expiring", "--store", String(cafe.id), ...args], t.s.database.env);

    const json = await cli("--within", "30", "--json");
    expect(json).toMatchObject({ code: 0, stderr: "" });
    const lines = JSON.parse(json.stdout) as ReturnType<typeof line>[];
    expect(lines).toEqual(await report(cafe, 30));
    const [first, second] = [lines[0]!.date, lines[2]!.date];
    expect(lines).toEqual([
      line(first, han, "010-3501-0001", 2),
      line(first, yoon, "010-3501-0002", 12),
      line(second, han, "010-3501-0001", 7),
    ]);

    const no = (n: number) => String(n).padStart("member_no".length);
    expect(await cli("--within", "30")).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "date        member_no  phone          count",
        `${first}  ${no(han)}  010-****-0001      2`,
        `${first}  ${no(yoon)}  010-****-0002     12`,
        `${second}  ${no(han)}  010-****-0001      7`,
        "",
      ].join("\n"),
    });
    expect(await cli("--within", "5")).toEqual({ code: 0, stderr: "", stdout: "(none)\n" });
    expect(await cli("--within", "5", "--json")).toEqual({ code: 0, stderr: "", stdout: "[]\n" });
  });
});

describe("the exports", () => {
  it("bring the pool up to now first: no balance holds an expired lot, and the history has its 소멸 row", async () => {
    const cafe = await storeWithPeriod(1, { unit: "point" });
    at("2030-05-01T03:00:00Z"); // lasts to the end of 2 May in Seoul
    const oh = await save(cafe, "010-3502-0001", 5);
    at("2030-05-02T03:00:00Z"); // to the end of 3 May
    const seo = await save(cafe, "010-3502-0002", 2);

    at("2030-05-03T03:00:00Z"); // oh's lot is due, unswept; seo's is not
    const members = (await admin(`/admin/stores/${cafe.id}/export/members.csv`)).body;
    expect(members).toContain(`\n${oh},010-3502-0001,0,`);
    expect(members).toContain(`\n${seo},010-3502-0002,2,`);
    // An expiry is not the customer's activity: last_activity stays their save.
    expect(members).not.toMatch(new RegExp(`\n${oh},[^\n]*,2030-05-03 00:00:00`));
    const history = (await admin(`/admin/stores/${cafe.id}/export/history.csv`)).body.trim().split(/\r?\n/);
    const { login_id } = await t.s.services.stores.get(cafe.id);
    // Dated the moment it lapsed, midnight after its last day, in the store's zone.
    expect(history.filter((r) => r.includes(",소멸,"))).toEqual([
      expect.stringMatching(new RegExp(`^\\d+,2030-05-03 00:00:00,${oh},010-3502-0001,1,5,소멸,${login_id},Expiry cafe,0$`)),
    ]);
    expect(await call(cafe, "balance", { number: "010-3502-0001" })).toMatchObject({ total_count: 0 });
    expect(await t.s.services.verify()).toMatchObject({ ok: true });
  });
});

describeInBrowser("the console", () => {
  async function loggedIn(store: Store, locale: string): Promise<Page> {
    const user = await consoleUser(t.s, store.id, "staff");
    const page = await newPhone(locale);
    await logIn(page, t.s.url, user.login, user.password);
    return page;
  }
  const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();

  it("shows a customer's next expiry, amount and last day, in Korean and in English", async () => {
    const cafe = await storeWithPeriod(30);
    at("2030-02-10T03:00:00Z"); // lasts to the end of 12 March in Seoul
    const memberNo = await save(cafe, "010-3503-0001", 3);
    at("2030-02-20T03:00:00Z"); // to the end of 22 March: not the next one
    await save(cafe, "010-3503-0001", 2);

    const korean = await loggedIn(cafe, "ko-KR");
    await korean.goto(`${t.s.url}/console/members/${memberNo}`);
    expect(await text(korean, "member-balance")).toBe("5");
    expect(await text(korean, "member-next-expiry")).toBe("스탬프 3개가 2030-03-12에 소멸됩니다");

    const english = await loggedIn(cafe, "en-US");
    await english.goto(`${t.s.url}/console/members/${memberNo}`);
    expect(await text(english, "member-next-expiry")).toBe("3 stamps expire on 2030-03-12");

    const points = await storeWithPeriod(30, { unit: "point" });
    const one = await save(points, "010-3503-0002", 1);
    const counter = await loggedIn(points, "en-US");
    await counter.goto(`${t.s.url}/console/members/${one}`);
    expect(await text(counter, "member-next-expiry")).toBe("1 point expires on 2030-03-22");
    const korean2 = await loggedIn(points, "ko-KR");
    await korean2.goto(`${t.s.url}/console/members/${one}`);
    expect(await text(korean2, "member-next-expiry")).toBe("1 포인트가 2030-03-22에 소멸됩니다");
  });

  it("shows no expiry when nothing of the balance expires", async () => {
    const cafe = await storeWithPeriod(null);
    at("2030-02-10T03:00:00Z");
    const memberNo = await save(cafe, "010-3503-0003", 4);
    const page = await loggedIn(cafe, "ko-KR");
    await page.goto(`${t.s.url}/console/members/${memberNo}`);
    expect(await text(page, "member-balance")).toBe("4");
    expect(await page.getByTestId("member-next-expiry").count()).toBe(0);
  });

  it("brings a customer's account up to now before showing its balance, on the page and in the list", async () => {
    const cafe = await storeWithPeriod(1);
    at("2030-06-01T03:00:00Z"); // lasts to the end of 2 June in Seoul
    const page1 = await save(cafe, "010-3503-0004", 4);
    const list1 = await save(cafe, "010-3503-0005", 6);
    at("2030-06-02T03:00:00Z"); // to the end of 3 June
    await save(cafe, "010-3503-0004", 2);
    await save(cafe, "010-3503-0005", 1);

    at("2030-06-03T03:00:00Z"); // the first lots are due, and nobody has touched the accounts
    const page = await loggedIn(cafe, "en-US");
    await page.goto(`${t.s.url}/console/members/${page1}`);
    expect(await text(page, "member-balance")).toBe("2");
    expect(await text(page, "member-next-expiry")).toBe("2 stamps expire on 2030-06-03");
    const newest = page.getByTestId("history-row").first();
    expect(await newest.locator(".history-kind").textContent()).toBe("Expired");
    expect(await newest.textContent()).toContain("-4");
    expect(await newest.getByTestId("history-user").textContent()).toBe("validity ended");

    await page.goto(`${t.s.url}/console/members?q=010-3503-0005`);
    expect(await page.getByTestId("member-row").allTextContents()).toEqual([
      expect.stringContaining(`No. ${list1}Balance 1 stampLast visit `),
    ]);
    // Listed again, with its 소멸 row written: dated the moment the lot lapsed, it is no visit.
    await page.reload();
    const [row] = await page.getByTestId("member-row").allTextContents();
    expect(row).toContain(`No. ${list1}Balance 1 stampLast visit `);
    expect(row).not.toContain("2030-06-03 00:00");
    expect(await call(cafe, "history", { number: "010-3503-0005" })).toMatchObject({
      list: [expect.objectContaining({ content: "소멸", count: 6 }), expect.anything(), expect.anything()],
    });
    expect(await t.s.services.verify()).toMatchObject({ ok: true });
  });
});
