// The console's counter and start page (shared/spec/console.md), in headless Chromium on a
// phone-sized screen against a real server (embedded database, or PostgreSQL with DATABASE_URL):
// a save at the counter is the OPEN API's save (its balance shows it), a double-tap saves once,
// and the start page counts what the counter did.
import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { TestServer } from "./support/server.js";
import { consoleUser, logIn, serverWithBrowser } from "./support/console.js";

const t = serverWithBrowser();
const { describeInBrowser, newPhone } = t;

type Store = Awaited<ReturnType<TestServer["services"]["stores"]["create"]>>;

/** A store and a page of one of its users, logged in, at the counter. */
async function atCounter(role: "owner" | "staff" = "staff", locale = "en-US"): Promise<{ store: Store; page: Page }> {
  const store = await t.s.services.stores.create({ name: "Counter cafe" });
  const user = await consoleUser(t.s, store.id, role);
  const page = await newPhone(locale);
  await logIn(page, t.s.url, user.login, user.password);
  await page.goto(`${t.s.url}/console/counter`);
  return { store, page };
}

/** Clicks a form's button and waits for the page that answers it (after the redirect). */
async function submit(page: Page, testId: string): Promise<void> {
  await Promise.all([page.waitForEvent("load"), page.getByTestId(testId).click()]);
}

/** Taps a number on the counter's pad. */
async function tap(page: Page, digits: string): Promise<void> {
  for (const d of digits) await page.locator(`.pad button[data-key="${d}"]`).click();
}

const balanceOf = async (store: Store, phone: string) =>
  t.s.form("/api/open/balance", { id: store.id, auth_code: store.auth_code, device: "openapi", number: phone });
const rowsOf = (store: Store) => t.s.db.prisma.ledgerEntry.count({ where: { storeId: store.id } });

describeInBrowser("the counter", () => {
  it("saves for a phone typed on the pad, 1 by default, shows the new balance in large type, and the OPEN API reads it", async () => {
    const { store, page } = await atCounter();
    expect(await page.getByTestId("counter-count").inputValue()).toBe("1");
    await tap(page, "01041000001");
    expect(await page.getByTestId("counter-phone").inputValue()).toBe("01041000001");
    await submit(page, "counter-save");
    expect(await page.getByTestId("counter-balance").textContent()).toBe("1");
    expect(await page.getByTestId("message").textContent()).toBe("Saved 1 stamp. Balance 1.");

    await tap(page, "01041000001");
    await page.locator("button[data-step='1']").click();
    await page.locator("button[data-step='1']").click();
    expect(await page.getByTestId("counter-count").inputValue()).toBe("3");
    await submit(page, "counter-save");
    expect(await page.getByTestId("counter-balance").textContent()).toBe("4");
    const fontSize = await page.getByTestId("counter-balance").evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    expect(fontSize).toBeGreaterThanOrEqual(48);

    const answer = await balanceOf(store, "010-4100-0001");
    expect(answer).toMatchObject({ result: true, total_count: 4 });
    expect(await page.locator(".saved a").getAttribute("href")).toBe(`/console/members/${answer.member_no}`);
  });

  it("works by keyboard alone: type the phone, Tab through the pad to the count, Enter saves", async () => {
    const { store, page } = await atCounter();
    // The phone field has the focus when the page opens.
    await page.keyboard.type("010-4100-0002");
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? document.activeElement?.textContent);
    const passed: unknown[] = [];
    while (passed.length < 20 && (await focused()) !== "counter-count") {
      await page.keyboard.press("Tab");
      passed.push(await focused());
    }
    // The pad's keys, then the count's minus.
    expect(passed).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "⌫", "−", "counter-count"]);
    await page.keyboard.press("Control+A");
    await page.keyboard.type("2");
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    expect(await page.getByTestId("counter-balance").textContent()).toBe("2");
    expect(await balanceOf(store, "01041000002")).toMatchObject({ total_count: 2 });
  });

  it("saves once for a double-tap, and once for the same form sent twice", async () => {
    const { store, page } = await atCounter();
    await tap(page, "01041000003");
    await Promise.all([page.waitForEvent("load"), page.getByTestId("counter-save").dblclick()]);
    expect(await page.getByTestId("counter-balance").textContent()).toBe("1");
    expect(await rowsOf(store)).toBe(1);

    // The same form posted twice at once (a browser without the script, a flaky network's retry).
    const form = {
      _csrf: await page.locator("form.counter input[name=_csrf]").inputValue(),
      idempotency_key: await page.locator("form.counter input[name=idempotency_key]").inputValue(),
      phone: "010-4100-0003",
      count: "5",
    };
    const answers = await Promise.all([1, 2].map(() => page.request.post(`${t.s.url}/console/counter`, { form, maxRedirects: 0 })));
    expect(answers.map((a) => [a.status(), a.headers().location])).toEqual([
      [303, expect.stringMatching(/^\/console\/counter\?member=\d+$/)],
      [303, expect.stringMatching(/^\/console\/counter\?member=\d+$/)],
    ]);
    expect(await rowsOf(store)).toBe(2);
    expect(await balanceOf(store, "01041000003")).toMatchObject({ total_count: 6 });
  });

  it("refuses a number that is not a mobile phone, or a count the store does not allow, saying so, and writes nothing", async () => {
    const { store, page } = await atCounter();
    await tap(page, "0212345678");
    await submit(page, "counter-save");
    expect(await page.getByTestId("message").textContent()).toBe("That is not a mobile phone number: nothing was changed.");
    expect(await page.getByRole("alert").count()).toBe(1);

    await tap(page, "01041000004");
    await page.getByTestId("counter-count").fill("101");
    await submit(page, "counter-save");
    expect(await page.getByTestId("message").textContent()).toBe("That count is more than allowed: nothing was changed.");
    expect(await page.getByTestId("counter-balance").count()).toBe(0);
    expect(await rowsOf(store)).toBe(0);
  });

  it("speaks Korean to a Korean browser", async () => {
    const { page } = await atCounter("staff", "ko-KR");
    expect(await page.locator("h1").textContent()).toBe("적립");
    await tap(page, "01041000005");
    await submit(page, "counter-save");
    expect(await page.getByTestId("message").textContent()).toBe("스탬프 1개 적립했습니다. 잔액 1.");
    expect(await page.locator(".saved .label").textContent()).toBe("잔액");
  });
});

describeInBrowser("the start page", () => {
  it("counts today's saves, uses and new customers of the store, with the 30 days' chart", async () => {
    const { store, page } = await atCounter("owner");
    for (const phone of ["01041000006", "01041000007", "01041000006"]) {
      await tap(page, phone);
      await submit(page, "counter-save");
    }
    await t.s.form("/api/open/use", { id: store.id, auth_code: store.auth_code, device: "openapi", number: "01041000006", count: 1 });
    // Another store's saves are its own.
    const other = await t.s.services.stores.create({ name: "Elsewhere" });
    await t.s.form("/api/open/save", { id: other.id, auth_code: other.auth_code, device: "openapi", number: "01041000008", count: 1 });

    await page.goto(`${t.s.url}/console`);
    const figure = (id: string) => page.getByTestId(id).textContent();
    expect([await figure("today-saves"), await figure("today-uses"), await figure("today-new-members")]).toEqual(["3", "1", "2"]);
    const chart = page.getByTestId("chart");
    expect(await chart.evaluate((el) => el.tagName)).toBe("svg");
    // Today's two bars (3 saves, 1 use), the last day's, at the right.
    const bars = await chart.locator("rect").evaluateAll((rects) => rects.map((r) => r.querySelector("title")!.textContent));
    expect(bars).toEqual([expect.stringMatching(/ Saves: 3$/), expect.stringMatching(/ Uses: 1$/)]);
  });
});
