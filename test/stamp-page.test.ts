// The customer's stamp page behind `stampUrl` (shared/spec/vivoldi-stamp-api.md, "Stamp page"),
// in headless Chromium on a phone-sized screen, against a real server on the embedded database or
// on PostgreSQL when DATABASE_URL is set. The stamp API, over HTTP, sets up the stamps and checks
// what the page did to the ledger.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type Params, type StampCall } from "./support/stamp-client.js";
import { hasChromium, launchChromium } from "./support/browser.js";
import { phonePages } from "./support/phones.js";

/** Every test here drives Chromium: without it they are skipped (the global setup says so). */
const describeInBrowser = describe.skipIf(!hasChromium());

let s: TestServer;
let call: StampCall;
let browser: Browser;
let storeId: number;
/** A three-stamp card without the on-site option or a link. */
let plainCard: number;
const ONSITE_PASSWORD = "2468";
const day = (n: number) => dayFromToday(n, s.config.TIME_ZONE);

const NO_LIMITS = { limitMinute: 1_000_000, limitHour: 1_000_000, limitDay: 1_000_000 };

beforeAll(async () => {
  if (!hasChromium()) return;
  s = await startTestServer();
  const store = await s.services.stores.create({ name: "Cafe", loginId: "cafe", ...NO_LIMITS });
  call = stampClient(s, (await s.services.apiKeys.create({ store: store.id, plan: "personal" })).key);
  storeId = store.id;
  plainCard = (await s.services.cards.create({ store: store.id, name: "Bagel", title: "3 stamps, one free bagel", maxStamps: 3 })).cardIdx;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

interface Issued {
  stampIdx: number;
  /** The stamp page on this test server: stampUrl's path (stampUrl names PUBLIC_BASE_URL, here port 0). */
  url: string;
}

/**
 * A three-stamp card with the on-site option and a link, of its own: the on-site password is
 * throttled per card, so one test's wrong guesses must not lock another test's card.
 */
async function onsiteCard(): Promise<number> {
  const card = await s.services.cards.create({
    store: storeId,
    name: "Latte <b>& friends</b>",
    title: "3 stamps, one free latte",
    maxStamps: 3,
    url: "https://shop.example/menu",
    onsitePwd: ONSITE_PASSWORD,
  });
  return card.cardIdx;
}

/** Issues a stamp of a new on-site card, valid from yesterday for a month, then applies `update`. */
async function issue(params: Params = {}, update?: Params): Promise<Issued> {
  const cardIdx = params.cardIdx ?? (await onsiteCard());
  const created = await call("create", { strtYmd: day(-1), endYmd: day(30), ...params, cardIdx });
  expect(created.code).toBe(0);
  const stampIdx = Number(created.result);
  const { stampUrl } = (await call("validate", { stampIdx })).result;
  if (update) expect((await call("update", { stampIdx, ...update })).code).toBe(0);
  return { stampIdx, url: `${s.url}${new URL(stampUrl).pathname}` };
}

/** The stamp's count on the ledger. */
async function stampsOf(stampIdx: number): Promise<number> {
  return (await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx }, include: { account: true } })).account.balance;
}

const newPhone = phonePages(() => browser);

const count = (page: Page) => page.getByTestId("stamp-count").textContent();

/** A first visit that sets `pin` and lands on the card. */
async function setPin(page: Page, url: string, pin = "1234") {
  await page.goto(url);
  await page.getByTestId("pin-input").fill(pin);
  await page.getByTestId("pin-confirm").fill(pin);
  await page.getByTestId("pin-submit").click();
  await page.getByTestId("stamp-count").waitFor();
}

/** Clicks a form's submit button and waits for the page that answers the POST; returns that answer. */
async function submit(page: Page, testId: string) {
  const answer = page.waitForResponse((r) => r.request().method() === "POST");
  await page.getByTestId(testId).click();
  const response = await answer;
  await page.waitForLoadState();
  return response;
}

async function enterPin(page: Page, url: string, pin: string) {
  if (page.url() !== url) await page.goto(url);
  await page.getByTestId("pin-input").fill(pin);
  return submit(page, "pin-submit");
}

describeInBrowser("first visit, PIN and on-site stamp", () => {
  it("sets a PIN and shows 0 / 3; staff add a stamp (1 / 3, validate says 1); a new browser needs the PIN; a wrong PIN shows no card", async () => {
    const { stampIdx, url } = await issue();
    const customer = await newPhone();
    await customer.goto(url);
    await expect(customer.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Set your PIN");
    await setPin(customer, url, "1234");
    expect(await count(customer)).toBe("0 / 3");
    expect(await customer.getByRole("heading", { level: 1 }).textContent()).toBe("Latte <b>& friends</b>");
    expect(await customer.getByRole("link", { name: "Visit the shop" }).getAttribute("href")).toBe("https://shop.example/menu");
    expect(await customer.locator("ol.slots li").count()).toBe(3);

    await customer.getByTestId("onsite-password").fill(ONSITE_PASSWORD);
    await submit(customer, "onsite-submit");
    await customer.getByRole("status").getByText("A stamp was added.").waitFor();
    expect(await count(customer)).toBe("1 / 3");
    expect(await customer.locator('ol.slots li img[src="/static/stamp.svg"]').count()).toBe(1);
    const validated = await call("validate", { stampIdx });
    expect({ code: validated.code, stamps: validated.result.stamps }).toEqual({ code: 0, stamps: 1 });
    expect(await s.db.prisma.ledgerEntry.count({ where: { account: { stamp: { id: stampIdx } }, kind: "stamp_add" } })).toBe(1);

    // The same browser is remembered; the cookie is signed, HttpOnly, Lax and this page's only.
    await customer.reload();
    expect(await count(customer)).toBe("1 / 3");
    const [cookie] = (await customer.context().cookies()).filter((c) => c.name === "stamp_pin");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: new URL(url).pathname });

    const stranger = await newPhone();
    await stranger.goto(url);
    expect(await stranger.getByTestId("pin-confirm").count()).toBe(0);
    expect(await stranger.getByTestId("stamp-count").count()).toBe(0);
    const wrong = await enterPin(stranger, url, "9999");
    expect(wrong.status()).toBe(403);
    await stranger.getByRole("alert").getByText("Wrong PIN. 4 tries left.").waitFor();
    expect(await stranger.getByTestId("stamp-count").count()).toBe(0);
    expect(await stranger.content()).not.toContain("Latte");

    await enterPin(stranger, url, "1234");
    expect(await count(stranger)).toBe("1 / 3");
  });

  it("a wrong on-site password adds nothing and is counted; the page's add follows the API's rules", async () => {
    const { stampIdx, url } = await issue();
    const page = await newPhone();
    await setPin(page, url);
    await page.getByTestId("onsite-password").fill("1357");
    expect((await submit(page, "onsite-submit")).status()).toBe(403);
    await page.getByRole("alert").getByText("Wrong on-site password. 4 tries left.").waitFor();
    expect(await count(page)).toBe("0 / 3");

    // The page was shown at 2 / 3; the API fills the card before staff press the button.
    await call("update", { stampIdx, stamps: 2 });
    await page.reload();
    expect(await count(page)).toBe("2 / 3");
    expect((await call("add", { stampIdx })).code).toBe(0);
    await page.getByTestId("onsite-password").fill(ONSITE_PASSWORD);
    expect((await submit(page, "onsite-submit")).status()).toBe(409);
    await page.getByText("Card complete!").waitFor();
    expect(await count(page)).toBe("3 / 3");
    expect(await stampsOf(stampIdx)).toBe(3);
    expect(await page.getByTestId("onsite-password").count()).toBe(0);
  });

  it("after 5 wrong on-site passwords even the right one waits, and nothing is added", async () => {
    const { stampIdx, url } = await issue();
    const page = await newPhone();
    await setPin(page, url);
    for (let i = 0; i < 5; i++) {
      await page.getByTestId("onsite-password").fill(`wrong${i}`);
      expect((await submit(page, "onsite-submit")).status()).toBe(i < 4 ? 403 : 429);
    }
    await page.getByRole("alert").getByText("Too many wrong tries. Please try again in 15 minutes.").waitFor();
    await page.getByTestId("onsite-password").fill(ONSITE_PASSWORD);
    expect((await submit(page, "onsite-submit")).status()).toBe(429);
    expect(await stampsOf(stampIdx)).toBe(0);
    expect(await count(page)).toBe("0 / 3");
  });
});

describeInBrowser("wrong PINs are throttled per stamp in the database", () => {
  it("after 5 wrong PINs the page asks to wait 15 minutes, refuses even the right PIN, and shows no card", async () => {
    const { url } = await issue();
    await setPin(await newPhone(), url, "4321");
    const page = await newPhone();
    for (const n of [4, 3, 2, 1]) {
      await enterPin(page, url, "0000");
      await page.getByText(`Wrong PIN. ${n} ${n === 1 ? "try" : "tries"} left.`).waitFor();
    }
    const fifth = await enterPin(page, url, "0000");
    expect(fifth.status()).toBe(429);
    await page.getByRole("alert").getByText("Too many wrong tries. Please try again in 15 minutes.").waitFor();
    const right = await enterPin(page, url, "4321");
    expect(right.status()).toBe(429);
    expect(Number(right.headers()["retry-after"])).toBeGreaterThan(13 * 60);
    expect(await page.getByTestId("stamp-count").count()).toBe(0);
  });

  it("an ended wait starts a new series: the right PIN opens the card", async () => {
    const { stampIdx, url } = await issue();
    await setPin(await newPhone(), url, "4321");
    const page = await newPhone();
    for (let i = 0; i < 5; i++) await enterPin(page, url, "0000");
    // Fifteen minutes pass.
    await s.db.prisma.pageThrottle.update({
      where: { stampId_secret: { stampId: stampIdx, secret: "pin" } },
      data: { lockedUntil: new Date(Date.now() - 1000) },
    });
    await enterPin(page, url, "4321");
    expect(await count(page)).toBe("0 / 3");
  });

  it("counts guesses sent at once exactly: of ten, four are told wrong and six to wait", async () => {
    const { url } = await issue();
    await setPin(await newPhone(), url, "4321");
    // A plain HTTP client with the page's CSRF cookie and token, posting ten guesses together.
    const res = await fetch(url);
    const csrfCookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith("stamp_csrf="))!
      .split(";")[0]!;
    const token = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]!;
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${url}/pin`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
          body: new URLSearchParams({ _csrf: token, pin: "0000" }).toString(),
        }).then((r) => r.status),
      ),
    );
    expect(statuses.sort()).toEqual([403, 403, 403, 403, 429, 429, 429, 429, 429, 429]);
  });
});

describeInBrowser("resetPinYn=Y", () => {
  it("clears the PIN and forgets every browser that had entered it", async () => {
    const { stampIdx, url } = await issue();
    const first = await newPhone();
    await setPin(first, url, "1111");
    expect((await call("update", { stampIdx, resetPinYn: "Y" })).code).toBe(0);
    await first.reload();
    await first.getByTestId("pin-confirm").waitFor();
    expect(await first.getByTestId("stamp-count").count()).toBe(0);

    await setPin(await newPhone(), url, "1111");
    await first.reload();
    expect(await first.getByTestId("pin-input").count()).toBe(1);
    expect(await first.getByTestId("pin-confirm").count()).toBe(0);
    expect(await first.getByTestId("stamp-count").count()).toBe(0);
  });
});

describeInBrowser("card states", () => {
  const cases: { name: string; update: () => Params; redeem?: true; text: string; count: string }[] = [
    { name: "not yet valid", update: () => ({ strtYmd: day(2), endYmd: day(30) }), text: "This card can be used from", count: "0 / 3" },
    { name: "expired", update: () => ({ strtYmd: day(-30), endYmd: day(-1) }), text: "This card expired on", count: "0 / 3" },
    { name: "inactive", update: () => ({ activeYn: "N" }), text: "This card is not active.", count: "0 / 3" },
    { name: "benefit used", update: () => ({ stamps: 3 }), redeem: true, text: "The benefit of this card has been used.", count: "3 / 3" },
    { name: "full", update: () => ({ stamps: 3 }), text: "Card complete!", count: "3 / 3" },
  ];

  for (const c of cases) {
    it(`${c.name}: says so, shows the count and offers no on-site stamp`, async () => {
      const { stampIdx, url } = await issue({}, c.update());
      if (c.redeem) expect((await call("redeem", { stampIdx, onsitePwd: ONSITE_PASSWORD })).code).toBe(0);
      const page = await newPhone();
      await setPin(page, url);
      await page.locator(".state").getByText(c.text).waitFor();
      expect(await count(page)).toBe(c.count);
      expect(await page.getByTestId("onsite-password").count()).toBe(0);
    });
  }

  it("a card without the on-site option or a link shows neither", async () => {
    const { url } = await issue({ cardIdx: plainCard });
    const page = await newPhone();
    await setPin(page, url);
    expect(await count(page)).toBe("0 / 3");
    expect(await page.locator(".state").count()).toBe(0);
    expect(await page.getByTestId("onsite-password").count()).toBe(0);
    expect(await page.getByRole("link").count()).toBe(0);
  });
});

describeInBrowser("languages", () => {
  it("speaks Korean to a Korean browser and English to an English one", async () => {
    const { url } = await issue();
    const ko = await newPhone("ko-KR");
    await ko.goto(url);
    expect(await ko.locator("html").getAttribute("lang")).toBe("ko");
    expect(await ko.getByRole("heading", { level: 1 }).textContent()).toBe("비밀번호 설정");
    await setPin(ko, url);
    await ko.getByRole("heading", { name: "모은 스탬프" }).waitFor();
    await ko.getByRole("button", { name: "스탬프 적립" }).waitFor();

    const en = await newPhone("en-US");
    await en.goto(url);
    expect(await en.locator("html").getAttribute("lang")).toBe("en");
    expect(await en.getByRole("heading", { level: 1 }).textContent()).toBe("Enter your PIN");
  });

  it("answers Korean when the browser names no language, English when it names neither", async () => {
    const { url } = await issue();
    const lang = async (headers: Record<string, string>) => /<html lang="(\w+)">/.exec(await (await fetch(url, { headers })).text())?.[1];
    expect(await lang({})).toBe("ko");
    expect(await lang({ "accept-language": "fr-FR, en;q=0.5" })).toBe("en");
    expect(await lang({ "accept-language": "fr-FR" })).toBe("en");
    expect(await lang({ "accept-language": "en;q=0.8, ko-KR" })).toBe("ko");
  });
});

describeInBrowser("not found", () => {
  it("answers a 404 page for an unknown code and for a deleted stamp", async () => {
    const page = await newPhone();
    const unknown = await page.goto(`${s.url}/stamp/no-such-page`);
    expect(unknown!.status()).toBe(404);
    expect(unknown!.headers()["content-type"]).toContain("text/html");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Stamp card not found");

    const { stampIdx, url } = await issue();
    expect((await call("delete", { stampIdx })).code).toBe(0);
    expect((await page.goto(url))!.status()).toBe(404);
  });
});

describeInBrowser("cross-site request forgery", () => {
  it("refuses a PIN form posted without the page's token and sets nothing", async () => {
    const { stampIdx, url } = await issue();
    const page = await newPhone();
    await page.goto(url);
    const forged = await page.context().request.post(`${url}/pin`, {
      form: { pin: "1234", pinConfirm: "1234" },
      headers: { "accept-language": "en" },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain("nothing was done");
    const wrongToken = await page
      .context()
      .request.post(`${url}/pin`, { form: { _csrf: "forged", pin: "1234", pinConfirm: "1234" }, maxRedirects: 0 });
    expect(wrongToken.status()).toBe(403);
    expect((await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx } })).pinHash).toBeNull();
  });

  it("refuses an on-site stamp posted without the page's token, even from a browser that entered the PIN", async () => {
    const { stampIdx, url } = await issue();
    const page = await newPhone();
    await setPin(page, url);
    const forged = await page.context().request.post(`${url}/onsite`, { form: { password: ONSITE_PASSWORD }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await stampsOf(stampIdx)).toBe(0);
    expect((await call("validate", { stampIdx })).result.stamps).toBe(0);
  });
});

describeInBrowser("headers and escaping", () => {
  it("allows the card's own https stamp image on the page only, and never sends the page address on", async () => {
    const { url } = await issue();
    const page = await newPhone();
    const res = await page.goto(url);
    const csp = res!.headers()["content-security-policy"]!;
    expect(csp).toContain("img-src 'self' data: https:");
    expect(csp).toContain("form-action 'self'");
    expect(res!.headers()["referrer-policy"]).toBe("no-referrer");
    expect(res!.headers()["cache-control"]).toBe("no-store");
    const api = await fetch(`${s.url}/healthz`);
    expect(api.headers.get("content-security-policy")).toContain("img-src 'self' data:;");
    const svg = await fetch(`${s.url}/static/stamp.svg`);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
  });
});
