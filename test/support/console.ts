// The store console in tests: console users made through the service (as `stampd user create`
// makes them), and logging in through the real login page.
import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import type { TestServer } from "./server.js";

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
