// Pages of a test file, each in a new phone profile (no cookies), closed after the file's tests.
// Apart from browser.ts, which the global setup and the screenshot script import outside a test.
import { afterAll } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { phone } from "./browser.js";

/** A maker of such pages, of `browser()` (launched in the file's beforeAll). */
export function phonePages(browser: () => Browser): (locale?: string) => Promise<Page> {
  const contexts: BrowserContext[] = [];
  afterAll(() => Promise.all(contexts.map((c) => c.close())));
  return async (locale = "en-US") => {
    const ctx = await phone(browser(), locale);
    contexts.push(ctx);
    return ctx.newPage();
  };
}
