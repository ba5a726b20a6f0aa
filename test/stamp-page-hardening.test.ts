// The stamp page's guessing limits and doors (issue 13, security items 3 and 4), through the real
// page over HTTP (a client that keeps the page's cookies and posts its forms with their CSRF
// token, as a browser does) and in headless Chromium where a customer's browser matters, on the
// embedded database or on PostgreSQL when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type StampCall } from "./support/stamp-client.js";
import { hasChromium, launchChromium, phone } from "./support/browser.js";

let s: TestServer;
let browser: Browser;
const ONSITE_PASSWORD = "2468";
const NO_LIMITS = { limitMinute: 1_000_000, limitHour: 1_000_000, limitDay: 1_000_000 };

beforeAll(async () => {
  s = await startTestServer();
  // Only the PIN reset test drives a browser; without Chromium it is skipped (the global setup says so).
  if (hasChromium()) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

/** A store of its own with a stamp API key and a ten-stamp card with the on-site option. */
async function shop(n: number) {
  const store = await s.services.stores.create({ name: "Cafe", loginId: `page-cafe-${n}`, ...NO_LIMITS });
  const call = stampClient(s, (await s.services.apiKeys.create({ store: store.id, plan: "personal" })).key);
  const { cardIdx } = await s.services.cards.create({
    store: store.id,
    name: "Latte",
    title: "10",
    maxStamps: 10,
    onsitePwd: ONSITE_PASSWORD,
  });
  return { store, call, cardIdx };
}

/** Issues a stamp of the card; its page's URL on this server. */
async function issue(call: StampCall, cardIdx: number): Promise<{ stampIdx: number; url: string }> {
  const day = (n: number) => dayFromToday(n, s.config.TIME_ZONE);
  const created = await call("create", { cardIdx, strtYmd: day(-1), endYmd: day(30) });
  expect(created.code).toBe(0);
  const stampIdx = Number(created.result);
  const { stampUrl } = (await call("validate", { stampIdx })).result;
  return { stampIdx, url: `${s.url}${new URL(stampUrl).pathname}` };
}

/** One browser profile on one stamp page, over plain HTTP: its cookies, and the form token of the last page shown. */
function visitor(url: string) {
  const cookies = new Map<string, string>();
  let csrf = "";
  const request = async (path: string, body?: Record<string, string>) => {
    const res = await fetch(`${url}${path}`, {
      method: body ? "POST" : "GET",
      redirect: "manual",
      headers: {
        "accept-language": "en-US",
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: body ? new URLSearchParams({ _csrf: csrf, ...body }).toString() : undefined,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const at = pair!.indexOf("=");
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const html = await res.text();
    csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? csrf;
    return { status: res.status, html, retryAfter: Number(res.headers.get("retry-after") ?? 0) };
  };
  return {
    open: () => request(""),
    /** Sets the first PIN (the page must be open). */
    setPin: (pin: string) => request("/pin", { pin, pinConfirm: pin }),
    enterPin: (pin: string) => request("/pin", { pin }),
    onsite: (password: string) => request("/onsite", { password }),
  };
}

/** A visitor that set the page's PIN and is remembered. */
async function owner(url: string, pin = "1234") {
  const v = visitor(url);
  await v.open();
  expect((await v.setPin(pin)).status).toBe(303);
  expect((await v.open()).html).toContain('data-testid="stamp-count"');
  return v;
}

/** A stamp of a shop of its own whose owner set `pin`, and a stranger with its page open. */
async function ownedPage(n: number, pin: string) {
  const { call, cardIdx } = await shop(n);
  const { stampIdx, url } = await issue(call, cardIdx);
  await owner(url, pin);
  const stranger = visitor(url);
  await stranger.open();
  return { call, stampIdx, url, stranger };
}

async function stampsOf(stampIdx: number): Promise<number> {
  return (await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx }, include: { account: true } })).account.balance;
}

/** The lock of a throttle row ends now, as if its wait had passed. */
async function waitPassesForPin(stampIdx: number) {
  await s.db.prisma.pageThrottle.update({
    where: { stampId_secret: { stampId: stampIdx, secret: "pin" } },
    data: { lockedUntil: new Date(Date.now() - 1000) },
  });
}

describe("the on-site password is throttled per card as well as per stamp", () => {
  it("wrong guesses spread over three stamps of one card lock the password on all of them", async () => {
    const { call, cardIdx } = await shop(1);
    const stamps = [await issue(call, cardIdx), await issue(call, cardIdx), await issue(call, cardIdx)];
    const pages = await Promise.all(stamps.map((st) => owner(st.url)));
    // 2 + 2 + 1 wrong guesses: no stamp reaches 5, the card does.
    const answers = [];
    for (const i of [0, 0, 1, 1, 2]) answers.push((await pages[i]!.onsite(`wrong${answers.length}`)).status);
    expect(answers).toEqual([403, 403, 403, 403, 429]);
    for (const page of pages) {
      const right = await page.onsite(ONSITE_PASSWORD);
      expect(right.status).toBe(429);
      expect(right.html).toContain("Please try again in 15 minutes");
    }
    for (const st of stamps) expect(await stampsOf(st.stampIdx)).toBe(0);

    // Another card of the store is not locked by this one's guesses.
    const other = (
      await s.services.cards.create({
        store: (await s.db.prisma.card.findUniqueOrThrow({ where: { id: cardIdx } })).storeId,
        name: "Tea",
        title: "10",
        maxStamps: 10,
        onsitePwd: ONSITE_PASSWORD,
      })
    ).cardIdx;
    const tea = await issue(call, other);
    expect((await (await owner(tea.url)).onsite(ONSITE_PASSWORD)).status).toBe(303);
    expect(await stampsOf(tea.stampIdx)).toBe(1);
  });

  it("a right password clears the card's count", async () => {
    const { call, cardIdx } = await shop(2);
    const [a, b] = [await issue(call, cardIdx), await issue(call, cardIdx)];
    const [pa, pb] = [await owner(a.url), await owner(b.url)];
    for (let i = 0; i < 4; i++) expect((await pa.onsite(`wrong${i}`)).status).toBe(403);
    expect((await pb.onsite(ONSITE_PASSWORD)).status).toBe(303);
    const wrong = await pb.onsite("wrong");
    expect(wrong.status).toBe(403);
    expect(wrong.html).toContain("4 tries left");
  });
});

describe("each PIN lock lasts longer than the one before, until a right PIN", () => {
  it("15, then 30, then 60 minutes; a right PIN starts again at 15", async () => {
    const { stampIdx, stranger } = await ownedPage(3, "4321");
    const lockOut = async () => {
      for (let i = 0; i < 4; i++) expect((await stranger.enterPin("0000")).status).toBe(403);
      const locked = await stranger.enterPin("0000");
      expect(locked.status).toBe(429);
      return Math.round(locked.retryAfter / 60);
    };
    expect(await lockOut()).toBe(15);
    await waitPassesForPin(stampIdx);
    expect(await lockOut()).toBe(30);
    await waitPassesForPin(stampIdx);
    expect(await lockOut()).toBe(60);
    await waitPassesForPin(stampIdx);
    expect((await stranger.enterPin("4321")).status).toBe(303);
    expect(await lockOut()).toBe(15);
  });
});

describe("resetPinYn=Y clears the PIN's lock", () => {
  it.skipIf(!hasChromium())(
    "after a stranger locked the page, the owner sets a new PIN and a browser with it sees the card (Chromium)",
    async () => {
      const { call, stampIdx, url, stranger } = await ownedPage(4, "1111");
      for (let i = 0; i < 5; i++) await stranger.enterPin("0000");
      expect((await stranger.enterPin("1111")).status).toBe(429);

      expect((await call("update", { stampIdx, resetPinYn: "Y" })).code).toBe(0);
      const ctx = await phone(browser);
      try {
        const mine = await ctx.newPage();
        await mine.goto(url);
        await mine.getByTestId("pin-input").fill("2222");
        await mine.getByTestId("pin-confirm").fill("2222");
        await mine.getByTestId("pin-submit").click();
        await mine.getByTestId("stamp-count").waitFor();

        // Another browser of the owner's, with the new PIN.
        const other = await (await phone(browser)).newPage();
        await other.goto(url);
        await other.getByTestId("pin-input").fill("2222");
        const answer = other.waitForResponse((r) => r.request().method() === "POST");
        await other.getByTestId("pin-submit").click();
        expect((await answer).status()).toBe(303);
        await other.getByTestId("stamp-count").waitFor();
        await other.context().close();
      } finally {
        await ctx.close();
      }
    },
  );
});

describe("a deactivated store changes nothing through any door", () => {
  it("its stamp pages are gone (card, PIN, on-site stamp), its stamp API key and OPEN API code refused, and no row is written", async () => {
    const { store, call, cardIdx } = await shop(5);
    const { stampIdx, url } = await issue(call, cardIdx);
    const customer = await owner(url);
    const second = await issue(call, cardIdx);
    const newcomer = visitor(second.url);
    await newcomer.open();
    await s.services.stores.set(store.id, { active: false });

    // The card page was open with its form: the on-site stamp is refused.
    const onsite = await customer.onsite(ONSITE_PASSWORD);
    expect(onsite.status).toBe(404);
    expect(await stampsOf(stampIdx)).toBe(0);
    expect((await customer.open()).status).toBe(404);
    expect((await customer.enterPin("1234")).status).toBe(404);
    expect((await newcomer.setPin("5678")).status).toBe(404);
    // The statement itself refuses too, for a page found just before the store was deactivated.
    const pageCode = new URL(url).pathname.split("/").pop()!;
    expect(await s.services.stamps.addOnSite(stampIdx, pageCode, ONSITE_PASSWORD)).toMatchObject({ refusal: "stamp_not_found" });
    expect(await s.services.stamps.readPage(stampIdx, pageCode)).toBeNull();
    expect((await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: second.stampIdx } })).pinHash).toBeNull();

    for (const endpoint of ["add", "remove", "validate"]) expect((await call(endpoint, { stampIdx })).code).not.toBe(0);
    expect((await call("update", { stampIdx, stamps: 5 })).code).not.toBe(0);
    const open = await s.form("/api/open/save", {
      id: store.id,
      auth_code: store.auth_code,
      device: "openapi",
      number: "01060000001",
      count: 1,
    });
    expect(open).toMatchObject({ result: false, code: "AUTH_FAILED" });
    expect(await s.db.prisma.ledgerEntry.count({ where: { storeId: store.id } })).toBe(0);
    expect(await stampsOf(stampIdx)).toBe(0);

    // Active again, the same page and browser work as before.
    await s.services.stores.set(store.id, { active: true });
    expect((await customer.open()).status).toBe(200);
    expect((await customer.onsite(ONSITE_PASSWORD)).status).toBe(303);
    expect(await stampsOf(stampIdx)).toBe(1);
  });
});
