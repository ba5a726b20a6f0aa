// The store console in tests: console users made through the service (as `stampd user create`
// makes them), and logging in through the real login page.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "./server.js";
import { hasChromium, launchChromium } from "./browser.js";
import { phonePages } from "./phones.js";

export interface Credentials {
  login: string;
  password: string;
}

/** A new user of `storeId` with `role`, under a login of its own (logins are unique on the server). */
export async function consoleUser(s: TestServer, storeId: number, role: "owner" | "staff"): Promise<Credentials> {
  const login = `${role}-${randomBytes(4).toString("hex")}`;
  const { password } = await s.services.consoleUsers.create({ store: storeId, login, role });
  return { login, password };
}

/** Logs in on the login page at `baseUrl` and waits for the page it leads to. */
export async function logIn(page: Page, baseUrl: string, login: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.getByTestId("login-id").fill(login);
  await page.getByTestId("login-password").fill(password);
  await Promise.all([page.waitForURL((url) => url.pathname !== "/console/login"), page.getByTestId("login-submit").click()]);
}

/** A browser test file's server, and its phone pages (each a new profile) in headless Chromium. */
export interface ConsoleBed {
  /** Set before the file's tests, on a fresh database. */
  s: TestServer;
  newPage: (locale?: string) => Promise<Page>;
}

/** Starts the server and Chromium before the file's tests (neither without Chromium) and stops them after. */
export function consoleBed(): ConsoleBed {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!hasChromium()) return;
    bed.s = await startTestServer();
    browser = await launchChromium();
  });
  // Registered before the pages' own hook: the pages close first, then the browser and the server.
  afterAll(async () => {
    await browser?.close();
    await bed.s?.stop();
  });
  const bed = { newPage: phonePages(() => browser!) } as ConsoleBed;
  return bed;
}
