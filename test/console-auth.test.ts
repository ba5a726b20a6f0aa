// Logging in to the store console (shared/spec/console.md, "Who logs in"), in headless Chromium
// on a phone-sized screen, against a real server on the embedded database, or on PostgreSQL when
// DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "./support/server.js";
import { hasChromium, launchChromium } from "./support/browser.js";
import { phonePages } from "./support/phones.js";
import { consoleUser, logIn } from "./support/console.js";

const describeInBrowser = describe.skipIf(!hasChromium());

let s: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium()) return;
  s = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

const newPhone = phonePages(() => browser);

async function newStore(name = "Cafe") {
  return s.services.stores.create({ name });
}

/** The `_csrf` value of the page's first form: what a forged POST from a logged-in browser can take. */
const csrfOf = (page: Page) => page.locator("input[name=_csrf]").first().inputValue();

describeInBrowser("owner and staff", () => {
  it("an owner logs in, sees the store's pages with settings, and logs out; the console then asks to log in", async () => {
    const store = await newStore("Bagel Corner");
    const owner = await consoleUser(s, store.id, "owner");
    const page = await newPhone();
    await page.goto(`${s.url}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");

    await logIn(page, s.url, owner.login, owner.password);
    expect(new URL(page.url()).pathname).toBe("/console");
    expect(await page.locator(".brand").textContent()).toBe("Bagel Corner");
    await expect(page.getByRole("link", { name: "Settings" }).count()).resolves.toBe(1);

    await page.getByTestId("logout").click();
    await page.waitForURL((url) => url.pathname === "/console/login");
    expect(await page.getByTestId("message").textContent()).toBe("You are logged out.");
    await page.goto(`${s.url}/console/settings`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
  });

  it("staff see no settings; the owner's page is refused (403) and a forged POST with a valid token changes nothing", async () => {
    const store = await newStore();
    const staff = await consoleUser(s, store.id, "staff");
    const page = await newPhone();
    await logIn(page, s.url, staff.login, staff.password);
    await expect(page.getByRole("link", { name: "Settings" }).count()).resolves.toBe(0);

    const settings = await page.goto(`${s.url}/console/settings`);
    expect(settings!.status()).toBe(403);

    const forged = await page.request.post(`${s.url}/console/settings/users`, {
      form: { _csrf: await csrfOf(page), login: "sneaky-staff" },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect((await s.services.consoleUsers.list(store.id)).map((u) => u.login)).toEqual([staff.login]);
  });
});
