// Logging in to the store console (shared/spec/console.md, "Who logs in"), in headless Chromium
// on a phone-sized screen, against a real server on the embedded database, or on PostgreSQL when
// DATABASE_URL is set. The server's console clock is moved forward by the tests of locks and idle
// sessions, and back to the present after them, instead of waiting.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page, Response } from "playwright-core";
import { startTestServer, type TestServer } from "./support/server.js";
import { hasChromium, launchChromium } from "./support/browser.js";
import { phonePages } from "./support/phones.js";
import { consoleUser, logIn, type Credentials } from "./support/console.js";

const describeInBrowser = describe.skipIf(!hasChromium());

let s: TestServer;
let browser: Browser;
/** How far the console's clock is ahead of the real one. */
let ahead = 0;
const minutes = (n: number) => n * 60_000;

beforeAll(async () => {
  if (!hasChromium()) return;
  s = await startTestServer({}, { clock: () => new Date(Date.now() + ahead) });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});
afterEach(() => {
  ahead = 0;
});

const newPhone = phonePages(() => browser);

const newStore = (name = "Cafe") => s.services.stores.create({ name });
const pathOf = (page: Page) => new URL(page.url()).pathname;
const message = (page: Page) => page.getByTestId("message").textContent();

/** The `_csrf` value of the page's first form: what a forged POST from a logged-in browser can take. */
const csrfOf = (page: Page) => page.locator("input[name=_csrf]").first().inputValue();

/** Submits the login form and returns the answer to its POST: 303 to the console when it worked. */
async function tryLogIn(page: Page, c: Credentials): Promise<{ status: number; message: string | null }> {
  if (pathOf(page) !== "/console/login") await page.goto(`${s.url}/console/login`);
  await page.getByTestId("login-id").fill(c.login);
  await page.getByTestId("login-password").fill(c.password);
  const answer = page.waitForResponse((r) => r.request().method() === "POST");
  await page.getByTestId("login-submit").click();
  const response: Response = await answer;
  await page.waitForLoadState();
  return { status: response.status(), message: await message(page) };
}

/** A logged-in owner's page, of a new store. */
async function ownerPage(storeName = "Cafe", locale = "en-US") {
  const store = await newStore(storeName);
  const owner = await consoleUser(s, store.id, "owner");
  const page = await newPhone(locale);
  await logIn(page, s.url, owner.login, owner.password);
  return { store, owner, page };
}

describeInBrowser("logging in and out", () => {
  it("an owner logs in, sees the store's pages with settings, and logs out; the console then asks to log in", async () => {
    const { page } = await ownerPage("Bagel Corner");
    expect(pathOf(page)).toBe("/console");
    expect(await page.locator(".brand").textContent()).toBe("Bagel Corner");
    expect(await page.getByRole("link", { name: "Settings" }).count()).toBe(1);

    await page.getByTestId("logout").click();
    await page.waitForURL((url) => url.pathname === "/console/login");
    expect(await message(page)).toBe("You are logged out.");
    await page.goto(`${s.url}/console/settings`);
    expect(pathOf(page)).toBe("/console/login");
  });

  it("a page asked for before logging in is where the login leads", async () => {
    const store = await newStore();
    const owner = await consoleUser(s, store.id, "owner");
    const page = await newPhone();
    await page.goto(`${s.url}/console/settings`);
    expect(page.url()).toBe(`${s.url}/console/login?next=%2Fconsole%2Fsettings`);
    await page.getByTestId("login-id").fill(owner.login);
    await page.getByTestId("login-password").fill(owner.password);
    await Promise.all([page.waitForURL((url) => url.pathname === "/console/settings"), page.getByTestId("login-submit").click()]);
  });

  it("a staff member logs in and sees the counter's pages but not the owner's", async () => {
    const store = await newStore();
    const staff = await consoleUser(s, store.id, "staff");
    const page = await newPhone();
    await logIn(page, s.url, staff.login, staff.password);
    const nav = await page.getByRole("navigation").getByRole("link").allTextContents();
    expect(nav).toEqual(["Today", "Counter", "Customers", "Stamp cards"]);
  });

  it("logout ends the session on the server: its cookie, kept and sent again, opens nothing", async () => {
    const { page } = await ownerPage();
    const kept = await page.context().cookies();
    await page.getByTestId("logout").click();
    await page.waitForURL((url) => url.pathname === "/console/login");
    await page.context().addCookies(kept);
    await page.goto(`${s.url}/console/settings`);
    expect(pathOf(page)).toBe("/console/login");
  });

  it("the session cookie is HttpOnly, SameSite=Lax and signed; the database keeps only its hash", async () => {
    const { page, owner } = await ownerPage();
    const session = (await page.context().cookies()).find((c) => c.name === "console_session")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/console", secure: false });
    const token = decodeURIComponent(session.value).replace(/\.[^.]*$/, "");
    const rows = await s.db.prisma.consoleSession.findMany({ where: { user: { login: owner.login } } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).not.toContain(token);
    expect(rows[0]!.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a session ends after 12 idle hours; each request starts the 12 hours again", async () => {
    const { page } = await ownerPage();
    ahead = minutes(12 * 60 - 1);
    await page.goto(`${s.url}/console/settings`);
    expect(pathOf(page)).toBe("/console/settings");
    ahead += minutes(12 * 60 - 1);
    await page.goto(`${s.url}/console/settings`);
    expect(pathOf(page)).toBe("/console/settings");
    ahead += minutes(12 * 60);
    await page.goto(`${s.url}/console/settings`);
    expect(pathOf(page)).toBe("/console/login");
  });
});

describeInBrowser("wrong passwords", () => {
  const REFUSED = "Wrong login or password. After 5 wrong tries, logging in is locked for a while.";

  it("a wrong password is refused with the same answer as a login that does not exist", async () => {
    const store = await newStore();
    const owner = await consoleUser(s, store.id, "owner");
    const page = await newPhone();
    const wrong = await tryLogIn(page, { login: owner.login, password: "not-the-password" });
    const unknown = await tryLogIn(page, { login: `nobody-${owner.login}`, password: "not-the-password" });
    expect(wrong).toEqual({ status: 401, message: REFUSED });
    expect(unknown).toEqual(wrong);
    expect(pathOf(page)).toBe("/console/login");
    // The login typed stays in the form; the password does not.
    expect(await page.getByTestId("login-id").inputValue()).toBe(`nobody-${owner.login}`);
    expect(await page.getByTestId("login-password").inputValue()).toBe("");
  });

  it("5 wrong passwords lock the login for 15 minutes, even for the right one, answered as any refusal; then the right one works", async () => {
    const store = await newStore();
    const owner = await consoleUser(s, store.id, "owner");
    const page = await newPhone();
    for (let i = 0; i < 5; i++)
      expect(await tryLogIn(page, { ...owner, password: `wrong-${i}` })).toEqual({ status: 401, message: REFUSED });
    expect(await tryLogIn(page, owner)).toEqual({ status: 401, message: REFUSED });
    ahead = minutes(14);
    expect(await tryLogIn(page, owner)).toEqual({ status: 401, message: REFUSED });
    ahead = minutes(15);
    expect((await tryLogIn(page, owner)).status).toBe(303);
    expect(pathOf(page)).toBe("/console");
  });

  it("each further lock lasts twice as long: 30 minutes, then 60; a right password starts over at 15", async () => {
    const store = await newStore();
    const owner = await consoleUser(s, store.id, "owner");
    const page = await newPhone();
    const lock = async () => {
      for (let i = 0; i < 5; i++) await tryLogIn(page, { ...owner, password: `wrong-${i}` });
    };
    /** The right password is refused `until` - 1 minutes from now and taken at `until` (then logs out again). */
    const lockedFor = async (until: number) => {
      const start = ahead;
      ahead = start + minutes(until - 1);
      expect((await tryLogIn(page, owner)).status).toBe(401);
      ahead = start + minutes(until);
      expect((await tryLogIn(page, owner)).status).toBe(303);
      await page.getByTestId("logout").click();
      await page.waitForURL((url) => url.pathname === "/console/login");
    };
    await lock(); // 15 minutes
    ahead = minutes(15);
    await lock(); // 30
    ahead = minutes(15 + 30);
    await lock(); // 60
    await lockedFor(60);
    await lock();
    await lockedFor(15);
  });

  it("guesses of a locked login do not extend its lock, and a login that does not exist never says it is locked", async () => {
    const store = await newStore();
    const owner = await consoleUser(s, store.id, "owner");
    const page = await newPhone();
    for (let i = 0; i < 5; i++) await tryLogIn(page, { ...owner, password: `wrong-${i}` });
    ahead = minutes(10);
    for (let i = 0; i < 3; i++) await tryLogIn(page, { ...owner, password: `again-${i}` });
    ahead = minutes(15);
    expect((await tryLogIn(page, owner)).status).toBe(303);
    const unknown: Credentials = { login: `ghost-${owner.login}`, password: "whatever" };
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await tryLogIn(await newPhone(), unknown));
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify({ status: 401, message: REFUSED })]));
  });
});

describeInBrowser("forms and roles", () => {
  it("a POST without the form's token, or with a wrong one, is refused (403) and changes nothing, the login's included", async () => {
    const { store, page } = await ownerPage();
    const before = await s.services.consoleUsers.list(store.id);
    const forms: Record<string, string>[] = [{ login: "no-token-staff" }, { login: "bad-token-staff", _csrf: "forged" }];
    for (const form of forms) {
      const r = await page.request.post(`${s.url}/console/settings/users`, { form, headers: { "accept-language": "en" }, maxRedirects: 0 });
      expect(r.status()).toBe(403);
      expect(await r.text()).toContain("This page had expired, so nothing was done.");
    }
    expect(await s.services.consoleUsers.list(store.id)).toEqual(before);

    const stranger = await newPhone();
    const owner = await consoleUser(s, store.id, "owner");
    const login = await stranger.request.post(`${s.url}/console/login`, { form: { ...owner }, maxRedirects: 0 });
    expect(login.status()).toBe(403);
    expect((await stranger.context().cookies()).map((c) => c.name)).not.toContain("console_session");
  });

  it("staff are refused the owner's pages (403), and forged POSTs with a valid token change nothing", async () => {
    const store = await newStore();
    const staff = await consoleUser(s, store.id, "staff");
    const colleague = await consoleUser(s, store.id, "staff");
    const { key } = await s.services.apiKeys.create({ store: store.id, label: "pos" });
    const [apiKey] = await s.services.apiKeys.list(store.id);
    const page = await newPhone();
    await logIn(page, s.url, staff.login, staff.password);

    const settings = await page.goto(`${s.url}/console/settings`);
    expect(settings!.status()).toBe(403);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Not allowed");
    expect(await page.content()).not.toContain(key.slice(0, 8));

    const token = await csrfOf(page);
    const forged: [string, Record<string, string>][] = [
      ["/console/settings/users", { login: "sneaky-staff" }],
      ["/console/settings/users/remove", { login: colleague.login }],
      ["/console/settings/api-keys", { label: "mine" }],
      ["/console/settings/api-keys/revoke", { id: String(apiKey!.id) }],
      ["/console/settings/webhook", { url: "https://hooks.example/steal" }],
    ];
    for (const [path, form] of forged) {
      const r = await page.request.post(`${s.url}${path}`, { form: { _csrf: token, ...form }, maxRedirects: 0 });
      expect({ path, status: r.status() }).toEqual({ path, status: 403 });
    }
    expect((await s.services.consoleUsers.list(store.id)).map((u) => u.login).sort()).toEqual([staff.login, colleague.login].sort());
    expect(await s.services.apiKeys.list(store.id)).toEqual([apiKey]);
    expect((await s.services.webhooks.show(store.id)).url).toBeNull();
  });

  it("a POST after the session ended is refused (401) and changes nothing", async () => {
    const { store, page } = await ownerPage();
    const token = await csrfOf(page);
    await s.db.prisma.consoleSession.deleteMany({ where: { user: { storeId: store.id } } });
    const r = await page.request.post(`${s.url}/console/settings/users`, { form: { _csrf: token, login: "late-staff" }, maxRedirects: 0 });
    expect(r.status()).toBe(401);
    expect((await s.services.consoleUsers.list(store.id)).map((u) => u.login)).not.toContain("late-staff");
  });
});

describeInBrowser("two stores", () => {
  it("each owner sees and changes only their own store's users and keys; the other's are not found", async () => {
    const a = await ownerPage("Store A");
    const b = await ownerPage("Store B");
    const bStaff = await consoleUser(s, b.store.id, "staff");
    await s.services.apiKeys.create({ store: b.store.id, label: "b-pos" });
    const [bKey] = await s.services.apiKeys.list(b.store.id);

    await a.page.goto(`${s.url}/console/settings`);
    const users = await a.page.getByTestId("user-row").allTextContents();
    expect(users).toEqual([expect.stringContaining(a.owner.login)]);
    expect(await a.page.getByTestId("apikey-row").count()).toBe(0);

    const token = await csrfOf(a.page);
    // Each POST's redirect is followed: its answer is the settings page with the POST's message.
    const post = (path: string, form: Record<string, string>) =>
      a.page.request.post(`${s.url}/console/settings/${path}`, { form: { _csrf: token, ...form }, headers: { "accept-language": "en" } });
    expect(await (await post("users/remove", { login: bStaff.login })).text()).toContain("No such staff login.");
    expect(await (await post("api-keys/revoke", { id: String(bKey!.id) })).text()).toContain("No such key.");

    expect((await s.services.consoleUsers.list(b.store.id)).map((u) => u.login).sort()).toEqual([b.owner.login, bStaff.login].sort());
    expect(await s.services.apiKeys.list(b.store.id)).toEqual([bKey]);
    await b.page.goto(`${s.url}/console/settings`);
    expect(await b.page.locator(".brand").textContent()).toBe("Store B");
  });

  it("an owner cannot remove another owner, even of their own store", async () => {
    const { store, page } = await ownerPage();
    const other = await consoleUser(s, store.id, "owner");
    await page.goto(`${s.url}/console/settings`);
    await page.request.post(`${s.url}/console/settings/users/remove`, { form: { _csrf: await csrfOf(page), login: other.login } });
    expect((await s.services.consoleUsers.list(store.id)).map((u) => u.login)).toContain(other.login);
  });
});

describeInBrowser("Korean and English", () => {
  it("speaks Korean to a Korean browser and English to an English one", async () => {
    const ko = await newPhone("ko-KR");
    await ko.goto(`${s.url}/console/login`);
    expect(await ko.locator("html").getAttribute("lang")).toBe("ko");
    expect(await ko.getByRole("heading", { level: 1 }).textContent()).toBe("로그인");
    expect(await ko.getByTestId("login-submit").textContent()).toBe("로그인");

    const en = await newPhone("en-US");
    await en.goto(`${s.url}/console/login`);
    expect(await en.locator("html").getAttribute("lang")).toBe("en");
    expect(await en.getByRole("heading", { level: 1 }).textContent()).toBe("Log in");
  });

  it("the language switch changes the language of every page after it, over the browser's", async () => {
    const { page } = await ownerPage("카페", "ko-KR");
    expect(await page.getByRole("navigation").getByRole("link").first().textContent()).toBe("오늘");
    await page.getByTestId("lang-switch").click();
    await page.waitForURL((url) => url.pathname === "/console");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.getByRole("navigation").getByRole("link").first().textContent()).toBe("Today");
    await page.goto(`${s.url}/console/settings`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Settings");
    await page.getByTestId("lang-switch").click();
    await page.waitForURL((url) => url.pathname === "/console/settings");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("설정");
  });

  it("a refused login is told in the page's language", async () => {
    const page = await newPhone("ko-KR");
    const refused = await tryLogIn(page, { login: "nobody-here", password: "x" });
    expect(refused).toEqual({ status: 401, message: "아이디 또는 비밀번호가 맞지 않습니다. 5번 틀리면 한동안 로그인할 수 없습니다." });
  });
});
