// The console's customers (shared/spec/console.md), in headless Chromium on a phone-sized screen
// against a real server (embedded database, or PostgreSQL with DATABASE_URL): look-up within the
// user's pool, a customer's balance and history with the branch and user of each row, save, use
// and transfer under the OPEN API's rules, and the owner's cancel (취소), which staff cannot make,
// not even by a forged POST.
import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { TestServer } from "./support/server.js";
import { consoleUser, logIn, serverWithBrowser, type Credentials } from "./support/console.js";

const t = serverWithBrowser();
const { describeInBrowser, newPhone } = t;

type Store = Awaited<ReturnType<TestServer["services"]["stores"]["create"]>>;

const open = (store: Store, path: string, params: Record<string, string | number>) =>
  t.s.form(`/api/open/${path}`, { id: store.id, auth_code: store.auth_code, device: "openapi", ...params });

/** A store with a customer holding `balance` (saved through the OPEN API), and its member number. */
async function storeWithCustomer(phone: string, balance: number, extra: { branch?: string; pool?: number } = {}) {
  const store = await t.s.services.stores.create({ name: "Members cafe", ...extra });
  const saved = await open(store, "save", { number: phone, count: balance });
  return { store, memberNo: saved.member_no as number };
}

async function loggedIn(user: Credentials, locale = "en-US"): Promise<Page> {
  const page = await newPhone(locale);
  await logIn(page, t.s.url, user.login, user.password);
  return page;
}

/** Clicks a form's button and waits for the page that answers it (after the redirect). */
async function submit(page: Page, testId: string, within = page.locator("body")): Promise<void> {
  await Promise.all([page.waitForEvent("load"), within.getByTestId(testId).click()]);
}

const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();
const rowsOf = (store: Store) => t.s.db.prisma.ledgerEntry.count({ where: { storeId: store.id } });

/** What the browser's own requests say; a request made beside it (page.request) names no language. */
const ENGLISH = { "accept-language": "en-US" };

/** The hidden fields of a page's form that posts to `action`: what a forged POST from that browser can take. */
async function formFields(page: Page, action: string): Promise<Record<string, string>> {
  const form = page.locator(`form[action="${action}"]`).first();
  return {
    _csrf: await form.locator("input[name=_csrf]").inputValue(),
    idempotency_key: await form.locator("input[name=idempotency_key]").inputValue(),
  };
}

describeInBrowser("looking a customer up", () => {
  it("finds by the last 4 digits only customers of the user's pool, with balance and last visit, and opens one", async () => {
    const { store, memberNo } = await storeWithCustomer("010-4200-1111", 3);
    await open(store, "save", { number: "010-4201-1111", count: 1 });
    await open(store, "save", { number: "010-4202-2222", count: 1 });
    // Another store's customer with the same last digits is not this store't.s.
    await storeWithCustomer("010-4203-1111", 9);
    const page = await loggedIn(await consoleUser(t.s, store.id, "staff"));

    await page.goto(`${t.s.url}/console/members`);
    await page.getByTestId("member-search").fill("1111");
    await submit(page, "member-search-submit");
    expect(new URL(page.url()).search).toBe("?q=1111");
    const rows = await page.getByTestId("member-row").allTextContents();
    expect(rows).toHaveLength(2);
    // The one seen last first.
    expect(rows[0]).toMatch(/^010-\*\*\*\*-1111No\. \d+Balance 1 stampLast visit \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(rows[1]).toContain(`No. ${memberNo}`);
    expect(rows[1]).toContain("Balance 3 stamps");

    await Promise.all([page.waitForEvent("load"), page.getByTestId("member-row").nth(1).locator("a").click()]);
    expect(new URL(page.url()).pathname).toBe(`/console/members/${memberNo}`);
    expect(await text(page, "member-balance")).toBe("3");
  });

  it("finds by the full phone in any format and by member number, and says when nothing matches", async () => {
    const { store, memberNo } = await storeWithCustomer("01042001112", 2);
    const page = await loggedIn(await consoleUser(t.s, store.id, "staff"));
    const search = async (q: string) => {
      await page.goto(`${t.s.url}/console/members?q=${encodeURIComponent(q)}`);
      return page.getByTestId("member-row").allTextContents();
    };
    for (const q of ["010-4200-1112", "+82 10 4200 1112", "010.4200.1112", String(memberNo)]) {
      expect(await search(q), q).toEqual([expect.stringContaining(`No. ${memberNo}`)]);
    }
    expect(await search("010-4299-9999")).toEqual([]);
    expect(await page.getByRole("status").last().textContent()).toBe("No customer found.");
    expect(await search("kim")).toEqual([]);
    expect(await page.getByRole("status").last().textContent()).toBe("Type a phone number, its last 4 digits, or a member number.");
  });

  it("keeps another pool's customer out: not listed, their page not found, a forged save to them refused", async () => {
    const { store } = await storeWithCustomer("010-4200-1113", 1);
    const elsewhere = await storeWithCustomer("010-4200-1114", 5);
    const page = await loggedIn(await consoleUser(t.s, store.id, "staff"));

    await page.goto(`${t.s.url}/console/members?q=${elsewhere.memberNo}`);
    expect(await page.getByTestId("member-row").count()).toBe(0);
    const theirs = await page.goto(`${t.s.url}/console/members/${elsewhere.memberNo}`);
    expect(theirs!.status()).toBe(404);
    expect(await page.locator("h1").textContent()).toBe("Customer not found");

    const mine = await page.goto(`${t.s.url}/console/members/${(await open(store, "balance", { number: "01042001113" })).member_no}`);
    expect(mine!.status()).toBe(200);
    const forged = await page.request.post(`${t.s.url}/console/members/${elsewhere.memberNo}/save`, {
      form: { ...(await formFields(page, page.url().slice(t.s.url.length) + "/save")), count: "1" },
      headers: ENGLISH,
      maxRedirects: 0,
    });
    expect([forged.status(), forged.headers().location]).toEqual([303, `/console/members/${elsewhere.memberNo}`]);
    await page.goto(`${t.s.url}/console/members`);
    expect(await text(page, "message")).toBe("This store has no such customer: nothing was changed.");
    expect(await rowsOf(store)).toBe(1);
    expect(await open(elsewhere.store, "balance", { number: "01042001114" })).toMatchObject({ total_count: 5 });
  });
});

describeInBrowser("a customer's page", () => {
  it("saves and uses; a use beyond the balance is refused with a clear message, and nothing changes", async () => {
    const { store, memberNo } = await storeWithCustomer("010-4200-2221", 3);
    const page = await loggedIn(await consoleUser(t.s, store.id, "staff"));
    await page.goto(`${t.s.url}/console/members/${memberNo}`);
    expect(await text(page, "member-balance")).toBe("3");

    await page.getByTestId("save-count").fill("2");
    await submit(page, "save-submit");
    expect(await text(page, "message")).toBe("Saved 2 stamps. Balance 5.");
    expect(await text(page, "member-balance")).toBe("5");

    await page.getByTestId("use-count").fill("6");
    await submit(page, "use-submit");
    expect(await text(page, "message")).toBe("Not enough stamps: the balance is 5. Nothing was changed.");
    expect(await page.getByRole("alert").textContent()).toBe("Not enough stamps: the balance is 5. Nothing was changed.");
    expect(await text(page, "member-balance")).toBe("5");
    expect(await page.getByTestId("history-row").count()).toBe(2);
    expect(await open(store, "balance", { number: "01042002221" })).toMatchObject({ total_count: 5 });

    await page.getByTestId("use-count").fill("5");
    await submit(page, "use-submit");
    expect(await text(page, "message")).toBe("Used 5 stamps. Balance 0.");
    expect(await text(page, "member-balance")).toBe("0");
  });

  it("transfers to a phone new to the store, which registers the receiver", async () => {
    const { store, memberNo } = await storeWithCustomer("010-4200-2222", 4);
    const page = await loggedIn(await consoleUser(t.s, store.id, "staff"));
    await page.goto(`${t.s.url}/console/members/${memberNo}`);
    await page.locator("summary").click();
    await page.getByTestId("transfer-to").fill("010-4200-2223");
    await page.getByTestId("transfer-count").fill("3");
    await submit(page, "transfer-submit");
    const receiver = await open(store, "balance", { number: "01042002223" });
    expect(receiver).toMatchObject({ result: true, total_count: 3 });
    expect(await text(page, "message")).toBe(`Gave 3 stamps to customer ${receiver.member_no}. Balance 1.`);

    await page.locator("summary").click();
    await page.getByTestId("transfer-to").fill(String(memberNo));
    await submit(page, "transfer-submit");
    expect(await text(page, "message")).toBe("A customer cannot give to themselves: nothing was changed.");
  });

  it("shows the history newest first with the branch and the user of each row, in pages", async () => {
    const main = await storeWithCustomer("010-4200-3331", 1, { branch: "Gangnam" });
    const branch = await t.s.services.stores.create({ name: "Members cafe", branch: "Mapo", pool: main.store.id });
    const clerk = await consoleUser(t.s, branch.id, "staff");
    const page = await loggedIn(clerk);
    await page.goto(`${t.s.url}/console/members/${main.memberNo}`);
    await submit(page, "save-submit");

    const rows = page.getByTestId("history-row");
    expect(await rows.count()).toBe(2);
    const row = (i: number) => ({
      place: rows.nth(i).getByTestId("history-place").textContent(),
      user: rows.nth(i).getByTestId("history-user").textContent(),
    });
    expect([await row(0).place, await row(0).user]).toEqual(["Mapo", clerk.login]);
    expect([await row(1).place, await row(1).user]).toEqual(["Gangnam", "API"]);

    for (let i = 0; i < 23; i++) await open(branch, "save", { number: "01042003331", count: 1 });
    await page.reload();
    expect(await rows.count()).toBe(20);
    expect(await text(page, "member-balance")).toBe("25");
    await Promise.all([page.waitForEvent("load"), page.getByRole("link", { name: "Older" }).click()]);
    expect(new URL(page.url()).search).toBe("?page=2");
    expect(await rows.count()).toBe(5);
    expect(await rows.last().getByTestId("history-place").textContent()).toBe("Gangnam");
    expect(await page.getByRole("link", { name: "Older" }).count()).toBe(0);
  });
});

describeInBrowser("cancelling a row (취소)", () => {
  it("an owner cancels a save: a 취소 row, the original kept and marked, the balance back; once only", async () => {
    const { store, memberNo } = await storeWithCustomer("010-4200-4441", 2);
    await open(store, "save", { number: "01042004441", count: 5 });
    const page = await loggedIn(await consoleUser(t.s, store.id, "owner"));
    await page.goto(`${t.s.url}/console/members/${memberNo}`);
    expect(await text(page, "member-balance")).toBe("7");

    const rows = page.getByTestId("history-row");
    expect(await rows.getByTestId("history-cancel").count()).toBe(2);
    const cancelForm = await formFields(page, `/console/members/${memberNo}/cancel`);
    const saveOfFive = await rows.first().getAttribute("data-id");
    await submit(page, "history-cancel", rows.first());
    expect(await text(page, "message")).toBe("The row is cancelled. Balance 2.");
    expect(await text(page, "member-balance")).toBe("2");
    expect(await rows.count()).toBe(3);
    expect(await rows.first().locator(".history-kind").textContent()).toBe("Cancel");
    expect(await rows.nth(1).textContent()).toContain("cancelled");
    // Only the other save can still be cancelled.
    expect(await rows.getByTestId("history-cancel").count()).toBe(1);

    const history = await open(store, "history", { number: "01042004441" });
    expect(history.list.map((r: any) => [r.content, r.type, r.count])).toEqual([
      ["취소", 1, 5],
      ["적립", 0, 5],
      ["적립", 0, 2],
    ]);

    // The same row again, by a form of the page before (its key unused): refused, nothing changes.
    const again = await page.request.post(`${t.s.url}/console/members/${memberNo}/cancel`, {
      form: { ...cancelForm, idempotency_key: `${cancelForm.idempotency_key}-again`, history_id: saveOfFive! },
      headers: ENGLISH,
      maxRedirects: 0,
    });
    expect([again.status(), again.headers().location]).toEqual([303, `/console/members/${memberNo}`]);
    await page.reload();
    expect(await text(page, "message")).toBe("This row was cancelled already.");
    expect(await rows.count()).toBe(3);
    expect(await text(page, "member-balance")).toBe("2");
  });

  it("refuses to cancel a save whose stamps were spent, saying why", async () => {
    const { store, memberNo } = await storeWithCustomer("010-4200-4442", 3);
    await open(store, "use", { number: "01042004442", count: 2 });
    const page = await loggedIn(await consoleUser(t.s, store.id, "owner"));
    await page.goto(`${t.s.url}/console/members/${memberNo}`);
    await submit(page, "history-cancel", page.getByTestId("history-row").nth(1));
    expect(await text(page, "message")).toBe("The stamps of this save were used since: it cannot be cancelled. Nothing was changed.");
    expect(await text(page, "member-balance")).toBe("1");
    expect(await rowsOf(store)).toBe(2);
  });

  it("staff see no cancel, and their forged cancel POST is refused (403) with nothing changed", async () => {
    const { store, memberNo } = await storeWithCustomer("010-4200-4443", 4);
    const page = await loggedIn(await consoleUser(t.s, store.id, "staff"));
    await page.goto(`${t.s.url}/console/members/${memberNo}`);
    expect(await page.getByTestId("history-row").count()).toBe(1);
    expect(await page.getByTestId("history-cancel").count()).toBe(0);

    const row = await t.s.db.prisma.ledgerEntry.findFirstOrThrow({ where: { storeId: store.id } });
    const forged = await page.request.post(`${t.s.url}/console/members/${memberNo}/cancel`, {
      form: { ...(await formFields(page, `/console/members/${memberNo}/save`)), history_id: String(row.id) },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await rowsOf(store)).toBe(1);
    expect(await open(store, "balance", { number: "01042004443" })).toMatchObject({ total_count: 4 });
  });
});

describeInBrowser("in Korean, by keyboard", () => {
  it("finds a customer and saves with the keyboard alone, in Korean words", async () => {
    const { store, memberNo } = await storeWithCustomer("010-4200-5551", 1);
    const page = await loggedIn(await consoleUser(t.s, store.id, "staff"), "ko-KR");
    await page.goto(`${t.s.url}/console/members`);
    await page.getByTestId("member-search").focus();
    await page.keyboard.type("5551");
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    await page.getByTestId("member-row").locator("a").focus();
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    expect(await page.locator("h1").textContent()).toBe(`고객 ${memberNo}`);

    await page.getByTestId("save-count").focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("2");
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    expect(await text(page, "message")).toBe("스탬프 2개 적립했습니다. 잔액 3.");
    expect(await page.getByTestId("history-row").first().locator(".history-kind").textContent()).toBe("적립");
  });
});
