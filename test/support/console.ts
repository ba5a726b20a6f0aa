// The store console in tests: console users made through the service (as `stampd user create`
// makes them), and logging in through the real login page.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer, type TestServerOptions } from "./server.js";
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

/**
 * A browser test file's server (with `env` and `options`, e.g. a clock) and Chromium, started
 * before its tests and stopped after them; `describeInBrowser` skips its tests where there is no
 * Chromium (and then no browser is started; the server is, for the file's other tests).
 */
export function serverWithBrowser(env: Record<string, string> = {}, options: TestServerOptions = {}) {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startTestServer(env, options);
    if (hasChromium()) browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    describeInBrowser: describe.skipIf(!hasChromium()),
    /** The running server (in a test). */
    get s(): TestServer {
      return server!;
    },
    /** A new phone-sized page, in a profile of its own. */
    newPhone: phonePages(() => browser!),
  };
}
