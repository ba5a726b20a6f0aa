// The store console's settings page (shared/spec/console.md, "settings"), the owner's, in
// headless Chromium on a phone-sized screen, against a real server on the embedded database, or
// on PostgreSQL when DATABASE_URL is set: staff logins, stamp API keys, the webhook and its
// deliveries, the daily limit with today's calls and the store's time zone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { digest } from "../src/platform/secrets.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { hasChromium, launchChromium } from "./support/browser.js";
import { phonePages } from "./support/phones.js";
import { consoleUser, logIn } from "./support/console.js";

const describeInBrowser = describe.skipIf(!hasChromium());

let s: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium()) return;
  // No delivery worker: an event stays as it was written, for the page to list.
  s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true" }, { webhookWorker: false });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

const newPhone = phonePages(() => browser);
const message = (page: Page) => page.getByTestId("message").textContent();

let phones = 0;
/** A phone number of this file's own (the PostgreSQL leg shares a server). */
const newNumber = () => `010-4${String(process.pid % 1000).padStart(3, "0")}-${String(++phones).padStart(4, "0")}`;

/** An owner of a new store on its settings page. */
async function onSettings(storeFields: { dailyLimit?: number; timeZone?: string } = {}) {
  const store = await s.services.stores.create({ name: "Cafe", ...storeFields });
  const owner = await consoleUser(s, store.id, "owner");
  const page = await newPhone();
  await logIn(page, s.url, owner.login, owner.password);
  await page.goto(`${s.url}/console/settings`);
  return { store, owner, page };
}

/** Clicks a submit button and waits for the page that answers (after its redirect, if any). */
async function submit(page: Page, testId: string) {
  await Promise.all([page.waitForEvent("load"), page.getByTestId(testId).click()]);
}

describeInBrowser("staff logins", () => {
  it("an owner adds staff (the password shown once), who then log in; removed, their session ends", async () => {
    const { store, page } = await onSettings();
    const login = `staff-${process.pid}-${Date.now()}`;
    await page.getByTestId("user-login").fill(login);
    await submit(page, "user-add");
    expect(await message(page)).toBe(`Staff login ${login} created.`);
    const password = (await page.getByTestId("user-password").textContent())!;

    const staff = await newPhone();
    await logIn(staff, s.url, login, password);
    expect(new URL(staff.url()).pathname).toBe("/console");

    await page.goto(`${s.url}/console/settings`);
    expect(await page.content()).not.toContain(password);
    const row = page.getByTestId("user-row").filter({ hasText: login });
    expect(await row.textContent()).toContain("Staff");
    await Promise.all([page.waitForEvent("load"), row.getByTestId("user-remove").click()]);
    expect(await message(page)).toBe(`Staff login ${login} removed.`);
    expect((await s.services.consoleUsers.list(store.id)).map((u) => u.role)).toEqual(["owner"]);

    await staff.goto(`${s.url}/console`);
    expect(new URL(staff.url()).pathname).toBe("/console/login");
  });

  it("a login taken or badly formed is refused with why, and nothing is added", async () => {
    const { store, owner, page } = await onSettings();
    await page.getByTestId("user-login").fill(owner.login);
    await submit(page, "user-add");
    expect(await message(page)).toBe(`The login ${owner.login} is taken. Please choose another.`);
    await page.getByTestId("user-login").fill("no spaces");
    await submit(page, "user-add");
    expect(await message(page)).toBe("A login is 3 to 64 letters, digits, dots, dashes, underscores or @.");
    expect(await s.services.consoleUsers.list(store.id)).toHaveLength(1);
  });
});

describeInBrowser("stamp API keys", () => {
  it("creates a key shown once (then only its first characters), which works until revoked", async () => {
    const { store, page } = await onSettings();
    await page.getByTestId("apikey-label").fill("POS tablet");
    await submit(page, "apikey-create");
    const key = (await page.getByTestId("apikey-secret").textContent())!;
    const stored = await s.db.prisma.apiKey.findFirstOrThrow({ where: { keyHash: digest(key) } });
    expect(stored).toMatchObject({ storeId: store.id, label: "POS tablet", revokedAt: null });

    await page.goto(`${s.url}/console/settings`);
    expect(await page.content()).not.toContain(key);
    const row = page.getByTestId("apikey-row");
    expect(await row.textContent()).toContain(`${key.slice(0, 8)}…`);
    await Promise.all([page.waitForEvent("load"), row.getByTestId("apikey-revoke").click()]);
    expect(await message(page)).toBe(`Key ${key.slice(0, 8)}… revoked. It no longer works.`);
    expect(await row.textContent()).toContain("revoked");
    expect((await s.db.prisma.apiKey.findUniqueOrThrow({ where: { id: stored.id } })).revokedAt).not.toBeNull();
  });
});

describeInBrowser("webhook", () => {
  it("sets the URL (the signing secret shown once), lists the events it gets, and clears it", async () => {
    const { store, page } = await onSettings();
    expect(await page.getByTestId("webhook-current").textContent()).toBe("No webhook is set.");
    await page.getByTestId("webhook-url").fill("http://127.0.0.1:9/hooks");
    await submit(page, "webhook-set");
    const secret = (await page.getByTestId("webhook-secret").textContent())!;
    expect((await s.db.prisma.storeWebhook.findUniqueOrThrow({ where: { storeId: store.id } })).secret).toBe(secret);

    const save = await s.form("/api/open/save", {
      id: store.id,
      auth_code: store.auth_code,
      device: "openapi",
      number: newNumber(),
      count: 1,
    });
    expect(save.result).toBe(true);
    await page.goto(`${s.url}/console/settings`);
    expect(await page.getByTestId("webhook-current").textContent()).toBe("http://127.0.0.1:9/hooks");
    const deliveries = await page.getByTestId("webhook-delivery").allTextContents();
    expect(deliveries).toEqual([expect.stringMatching(/POINT SAVE.*pending/)]);

    await submit(page, "webhook-clear");
    expect(await message(page)).toBe("The webhook was removed.");
    expect(await page.getByTestId("webhook-current").textContent()).toBe("No webhook is set.");
  });

  it("refuses a URL that is not http(s) with why, and sets nothing", async () => {
    const { store, page } = await onSettings();
    await page.getByTestId("webhook-url").evaluate((input: HTMLInputElement) => (input.type = "text"));
    await page.getByTestId("webhook-url").fill("ftp://files.example/hooks");
    await submit(page, "webhook-set");
    expect(await message(page)).toBe("This URL cannot be used: must be an http or https URL");
    expect((await s.services.webhooks.show(store.id)).url).toBeNull();
  });
});

describeInBrowser("daily limit", () => {
  it("shows the limit and today's OPEN API calls, and offers no way to change them", async () => {
    const { store, page } = await onSettings({ dailyLimit: 300 });
    for (let i = 0; i < 2; i++) {
      await s.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number: newNumber(), count: 1 });
    }
    await page.goto(`${s.url}/console/settings`);
    expect(await page.getByTestId("daily-limit").textContent()).toBe("300");
    expect(await page.getByTestId("calls-today").textContent()).toBe("2");
    expect(await page.locator("#limit-heading ~ form, #limit-heading ~ * input").count()).toBe(0);
  });

  it("shows the store's time zone, the server's when it has none, and counts today's calls on the store's day", async () => {
    const { store, page } = await onSettings({ timeZone: "Etc/GMT+12" });
    await s.form("/api/open/save", { id: store.id, auth_code: store.auth_code, device: "openapi", number: newNumber(), count: 1 });
    await page.goto(`${s.url}/console/settings`);
    expect(await page.getByTestId("time-zone").textContent()).toBe("Etc/GMT+12");
    expect(await page.getByTestId("calls-today").textContent()).toBe("1");
    const plain = await onSettings();
    expect(await plain.page.getByTestId("time-zone").textContent()).toBe(s.config.TIME_ZONE);
  });
});
