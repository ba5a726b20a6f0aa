// Headless Chromium for the stamp page's tests: Debian's package (/usr/bin/chromium, installed by
// .ci/run when missing), driven by playwright-core, whose own browser download is not used.
import { chromium, type Browser, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

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
