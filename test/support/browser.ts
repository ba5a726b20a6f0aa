// Headless Chromium for the stamp page's tests: Debian's package (/usr/bin/chromium, installed by
// .ci/run when missing), driven by playwright-core, whose own browser download is not used.
// Without it the browser tests are skipped (the global setup says so, loudly), unless
// STAMPD_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure.
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** Why the browser tests will not run, or null when they will; throws when they must run. */
export function browserSkipReason(): string | null {
  if (hasChromium()) return null;
  const reason = `no Chromium at ${CHROMIUM}: the stamp page's browser tests are SKIPPED. To run them: apt-get install chromium (or set CHROMIUM_PATH), then npm test`;
  if (process.env.STAMPD_REQUIRE_BROWSER === "1") throw new Error(`STAMPD_REQUIRE_BROWSER=1 but ${reason}`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No sandbox: CI runs as root in a container. The rest keeps the browser from calling home.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A new browser profile (no cookies) on a phone-sized screen, speaking `locale` (Accept-Language). */
export function phone(browser: Browser, locale = "en-US"): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale });
}
