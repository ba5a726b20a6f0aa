// The console's stamp cards (shared/spec/console.md, "stamp cards") in headless Chromium on a
// phone-sized screen: a card issued to a customer by phone, stamped and redeemed at the counter,
// each stamp with its QR code; card templates created, edited and deactivated by the owner. What
// the pages did is read back through the stamp API and the ledger.
import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { consoleUser, logIn, serverWithBrowser } from "./support/console.js";
import { dayFromToday, stampClient } from "./support/stamp-client.js";
import { qrSvg } from "../src/console/cards/qr.js";

const bed = serverWithBrowser();
const { describeInBrowser, newPhone: newPage } = bed;
let phoneSeq = 0;
/** A mobile number of its own per customer (the PostgreSQL leg shares one server). */
const newPhone = () => `010-4${String(process.pid % 1000).padStart(3, "0")}-${String(phoneSeq++).padStart(4, "0")}`;

/** A store with a stamp API key, a card, and a logged-in page of a user of `role`. */
async function storeWith(role: "owner" | "staff", opts: { maxStamps?: number; locale?: string } = {}) {
  const store = await bed.s.services.stores.create({ name: "Bean Counter" });
  const card = await bed.s.services.cards.create({
    store: store.id,
    name: "Americano",
    title: "Three for one",
    maxStamps: opts.maxStamps ?? 3,
  });
  const call = stampClient(bed.s, (await bed.s.services.apiKeys.create({ store: store.id, plan: "personal" })).key);
  const user = await consoleUser(bed.s, store.id, role);
  const page = await newPage(opts.locale);
  await logIn(page, bed.s.url, user.login, user.password);
  return { store, card: card.cardIdx, call, user, page };
}

const message = (page: Page) => page.getByTestId("message").textContent();
const csrfOf = (page: Page) => page.locator("input[name=_csrf]").first().inputValue();

/** Clicks a button of a form that answers with a redirect, and waits for the page it leads to. */
async function submit(page: Page, button: ReturnType<Page["getByTestId"]>) {
  await Promise.all([page.waitForNavigation(), button.click()]);
}

async function issue(page: Page, cardIdx: number, phone: string) {
  await page.goto(`${bed.s.url}/console/cards/${cardIdx}`);
  await page.getByTestId("stamp-issue-phone").fill(phone);
  await submit(page, page.getByTestId("stamp-issue-submit"));
}

const stampIdxOf = async (row: ReturnType<Page["getByTestId"]>) => Number(await row.getAttribute("data-stamp-idx"));

describeInBrowser("issuing a card and stamping it at the counter", () => {
  it("staff issue a card to a phone, add stamps to full, redeem; the stamp API and the ledger agree", async () => {
    const { card, call, user, page } = await storeWith("staff");
    await page.goto(`${bed.s.url}/console/cards`);
    expect(await page.getByTestId("card-row").allTextContents()).toEqual([expect.stringContaining("Americano")]);
    await page.getByTestId("card-row").getByRole("link").click();
    await page.waitForURL(`${bed.s.url}/console/cards/${card}`);

    const phone = newPhone();
    await page.getByTestId("stamp-issue-phone").fill(phone.replace(/-/g, ""));
    await submit(page, page.getByTestId("stamp-issue-submit"));
    expect(await message(page)).toBe(`Card issued to ${phone}. The customer scans the QR code to open it.`);
    const row = page.getByTestId("stamp-row");
    expect(await row.count()).toBe(1);
    const stampIdx = await stampIdxOf(row);
    const issued = (await call("validate", { stampIdx })).result;
    expect(issued).toMatchObject({ cardIdx: card, stamps: 0, userPhnno: phone, strtYmd: dayFromToday(0, bed.s.config.TIME_ZONE) });
    expect(await row.getByTestId("stamp-url").textContent()).toBe(issued.stampUrl);
    // The QR code is the stamp page's address, drawn on the server, shown as an image.
    const qr = row.getByTestId("stamp-qr");
    await qr.scrollIntoViewIfNeeded();
    await page.waitForFunction((img) => (img as HTMLImageElement).naturalWidth > 0, await qr.elementHandle());
    const image = await page.request.get(new URL((await qr.getAttribute("src"))!, bed.s.url).toString());
    expect(image.headers()["content-type"]).toBe("image/svg+xml");
    expect(await image.text()).toBe(await qrSvg(issued.stampUrl));

    for (const expected of ["Stamp added: 1 of 3.", "Stamp added: 2 of 3.", "Stamp added: all 3 collected. The benefit can be used."]) {
      await submit(page, page.getByTestId("stamp-add"));
      expect(await message(page)).toBe(expected);
    }
    expect(await page.getByTestId("stamp-add").count()).toBe(0);
    expect(await page.getByTestId("stamp-state").textContent()).toBe("Full · benefit ready");
    await submit(page, page.getByTestId("stamp-redeem"));
    expect(await message(page)).toBe("Benefit used.");
    expect(await page.getByTestId("stamp-state").textContent()).toBe("Benefit used");

    expect((await call("validate", { stampIdx })).code).toBe(2005);
    const stamp = await bed.s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx } });
    const rows = await bed.s.db.prisma.ledgerEntry.findMany({ where: { accountId: stamp.accountId }, orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.kind, r.balanceAfter, r.consoleLogin])).toEqual([
      ["stamp_add", 1, user.login],
      ["stamp_add", 2, user.login],
      ["stamp_add", 3, user.login],
      ["stamp_use", 3, user.login],
    ]);
  });

  it("a second tap of the same add button adds nothing; a second issue to the phone shows its open card", async () => {
    const { card, call, page } = await storeWith("staff");
    const phone = newPhone();
    await issue(page, card, phone);
    const stampIdx = await stampIdxOf(page.getByTestId("stamp-row"));
    // The same form sent twice, as a double-tap sends it.
    const add = page.getByTestId("stamp-add").locator("xpath=..");
    const form = { _csrf: await csrfOf(page), q: "", stamps: await add.locator("input[name=stamps]").inputValue() };
    const action = `${bed.s.url}${await add.getAttribute("action")}`;
    for (let i = 0; i < 2; i++) await page.request.post(action, { form, maxRedirects: 0, headers: { "accept-language": "en-US" } });
    await page.reload();
    expect(await message(page)).toBe("The card changed meanwhile (now 1 of 3). Nothing was added; tap again to add one more.");
    expect((await call("validate", { stampIdx })).result.stamps).toBe(1);

    await issue(page, card, phone);
    expect(await message(page)).toBe(`${phone} already holds an open card of this kind (No. ${stampIdx}). Nothing new was issued.`);
    expect(await page.getByTestId("stamp-row").count()).toBe(1);
  });

  it("a wrong phone number issues nothing and says so", async () => {
    const { card, page } = await storeWith("staff");
    await issue(page, card, "010-12");
    expect(await message(page)).toBe("Please check the mobile number. Nothing was issued.");
    expect(await bed.s.db.prisma.stamp.count({ where: { cardId: card } })).toBe(0);
  });

  it("works by keyboard, in Korean, at 360 px without scrolling sideways", async () => {
    const { card, page } = await storeWith("staff", { locale: "ko-KR" });
    await page.goto(`${bed.s.url}/console/cards/${card}`);
    await page.getByTestId("stamp-issue-phone").focus();
    await page.keyboard.type(newPhone());
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    expect(await message(page)).toMatch(/고객에게 카드를 발급했습니다/);
    await page.getByTestId("stamp-add").focus();
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    expect(await message(page)).toBe("스탬프를 찍었습니다: 3개 중 1개.");
    expect(await page.getByTestId("stamp-count").textContent()).toBe("3개 중 1개");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });

  it("another store's card and its stamps' QR codes are not found", async () => {
    const { page } = await storeWith("owner");
    const { card: elsewhere, page: theirs } = await storeWith("owner");
    await issue(theirs, elsewhere, newPhone());
    const theirStamp = await stampIdxOf(theirs.getByTestId("stamp-row"));
    expect((await page.goto(`${bed.s.url}/console/cards/${elsewhere}`))!.status()).toBe(404);
    expect((await page.goto(`${bed.s.url}/console/cards/${elsewhere}/stamps/${theirStamp}/qr.svg`))!.status()).toBe(404);
    const forged = await page.request.post(`${bed.s.url}/console/cards/${elsewhere}/stamps`, {
      form: { _csrf: await csrfOf(page), phone: newPhone(), months: "12" },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(303);
    expect(await bed.s.db.prisma.stamp.count({ where: { cardId: elsewhere } })).toBe(1);
  });
});

describeInBrowser("card templates: the owner's", () => {
  it("the owner creates a card; a wrong field is named and nothing is created", async () => {
    const { store, page } = await storeWith("owner");
    await page.goto(`${bed.s.url}/console/cards`);
    await page.getByText("New card").click();
    await page.getByTestId("card-name").fill("Latte");
    await page.getByTestId("card-title").fill("Ten for one");
    await page.getByTestId("card-maxStamps").fill("10");
    await page.getByTestId("card-url").fill("not a link");
    await page.getByTestId("card-url").evaluate((input: HTMLInputElement) => (input.type = "text"));
    await submit(page, page.getByTestId("card-submit"));
    expect(await message(page)).toBe("Please check what you entered. Nothing was changed.");
    expect(await page.locator(".field-error").allTextContents()).toEqual([
      "The button link must be an address starting with http:// or https://.",
    ]);
    expect(await page.getByTestId("card-name").inputValue()).toBe("Latte");
    expect(await bed.s.services.cards.list(store.id)).toHaveLength(1);

    await page.getByTestId("card-url").fill("https://cafe.example/menu");
    await submit(page, page.getByTestId("card-submit"));
    expect(await message(page)).toBe("Card 'Latte' created.");
    const cards = await bed.s.services.cards.list(store.id);
    expect(cards[1]).toMatchObject({
      cardNm: "Latte",
      cardTtl: "Ten for one",
      maxStamps: 10,
      url: "https://cafe.example/menu",
      onsiteYn: "N",
    });
    expect(page.url()).toBe(`${bed.s.url}/console/cards/${cards[1]!.cardIdx}`);
  });

  it("an edit below a stamp's count is refused; a new maximum applies to issued cards; a deactivated card issues none", async () => {
    const { card, call, page } = await storeWith("owner");
    await issue(page, card, newPhone());
    const stampIdx = await stampIdxOf(page.getByTestId("stamp-row"));
    await submit(page, page.getByTestId("stamp-add"));
    await submit(page, page.getByTestId("stamp-add"));

    await page.getByTestId("card-edit").click();
    await page.getByTestId("card-maxStamps").fill("1");
    await submit(page, page.getByTestId("card-submit"));
    expect(await message(page)).toBe("1 issued card(s) already hold more stamps than that. Nothing was changed.");
    expect((await call("validate", { stampIdx })).result.maxStamps).toBe(3);

    await page.getByTestId("card-edit").click();
    await page.getByTestId("card-name").fill("Big Americano");
    await page.getByTestId("card-maxStamps").fill("5");
    await page.getByTestId("card-onsitePwd").fill("2468");
    await submit(page, page.getByTestId("card-submit"));
    expect(await message(page)).toBe("Card saved. It applies to the cards already issued too.");
    expect((await call("validate", { stampIdx })).result).toMatchObject({
      cardNm: "Big Americano",
      stamps: 2,
      maxStamps: 5,
      onsitePwd: "2468",
    });
    expect(await page.getByTestId("stamp-count").textContent()).toBe("2 of 5");

    await page.getByTestId("card-edit").click();
    await submit(page, page.getByTestId("card-active"));
    expect(await message(page)).toBe("Card deactivated. The cards issued before work on.");
    expect(await page.getByTestId("stamp-issue-phone").count()).toBe(0);
    expect(
      (
        await call("create", {
          cardIdx: card,
          strtYmd: dayFromToday(0, bed.s.config.TIME_ZONE),
          endYmd: dayFromToday(9, bed.s.config.TIME_ZONE),
        })
      ).code,
    ).toBe(2009);
    await submit(page, page.getByTestId("stamp-add"));
    expect((await call("validate", { stampIdx })).result.stamps).toBe(3);
  });

  it("the owner deactivates a customer's card: the stamp API then finds it inactive", async () => {
    const { card, call, page } = await storeWith("owner");
    await issue(page, card, newPhone());
    const stampIdx = await stampIdxOf(page.getByTestId("stamp-row"));
    await submit(page, page.getByTestId("stamp-active"));
    expect(await message(page)).toBe("Customer's card deactivated.");
    expect(await page.getByTestId("stamp-state").textContent()).toBe("Deactivated");
    expect((await call("validate", { stampIdx })).code).toBe(2004);
  });

  it("staff see no card forms; their forged POSTs are refused and change nothing", async () => {
    const { store, card, page } = await storeWith("staff");
    await issue(page, card, newPhone());
    const stampIdx = await stampIdxOf(page.getByTestId("stamp-row"));
    expect(await page.getByTestId("card-edit").count()).toBe(0);
    expect(await page.getByTestId("stamp-active").count()).toBe(0);
    const csrf = await csrfOf(page);
    const forge = (path: string, form: Record<string, string>) =>
      page.request.post(`${bed.s.url}/console${path}`, { form: { _csrf: csrf, ...form }, maxRedirects: 0 });
    expect((await forge("/cards", { name: "Free", title: "All free", maxStamps: "1" })).status()).toBe(403);
    expect((await forge(`/cards/${card}`, { name: "Free", title: "All free", maxStamps: "1" })).status()).toBe(403);
    expect((await forge(`/cards/${card}/active`, { active: "false" })).status()).toBe(403);
    expect((await forge(`/cards/${card}/stamps/${stampIdx}/active`, { active: "false" })).status()).toBe(403);
    expect(await bed.s.services.cards.list(store.id)).toEqual([
      expect.objectContaining({ cardNm: "Americano", maxStamps: 3, activeYn: "Y" }),
    ]);
    expect((await bed.s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx } })).active).toBe(true);
  });
});
