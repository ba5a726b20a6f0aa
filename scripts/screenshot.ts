// Takes the README's pictures, in Chromium on a 360 x 740 phone screen: docs/stamp-page.png, the
// stamp page of a ten-stamp card with four stamps, as a customer sees it; docs/console-counter.png,
// the console's counter just after a save; docs/console-member.png, a customer's page in the
// console with rows of two branches and two users. Runs its own server on a temporary embedded
// database: `npm run screenshot`. Korean words need a CJK font (Debian: apt-get install fonts-noto-cjk).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../src/platform/config.js";
import { startServer } from "../src/server.js";
import { launchChromium, phone } from "../test/support/browser.js";

const docs = (name: string) => path.resolve(import.meta.dirname, "../docs", name);

const dataDir = mkdtempSync(path.join(tmpdir(), "stampd-screenshot-"));
const server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn" }), {
  webhookWorker: false,
});
const browser = await launchChromium();
try {
  const { services } = server;
  const store = await services.stores.create({ name: "Cafe Haneul", loginId: "haneul" });
  const card = await services.cards.create({
    store: store.id,
    name: "Americano club",
    title: "Collect 10 stamps for a free Americano",
    maxStamps: 10,
    url: "https://cafe.example/menu",
    onsitePwd: "2468",
  });
  const { key } = await services.apiKeys.create({ store: store.id, plan: "personal" });
  const today = new Date().toISOString().slice(0, 10);
  const { result: stampIdx } = await services.stamps.create(key, {
    cardIdx: card.cardIdx,
    validFrom: today,
    validUntil: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
  });
  for (let i = 0; i < 4; i++) await services.stamps.add(key, stampIdx);
  const { result: stamp } = await services.stamps.validate(key, stampIdx);

  const page = await (await phone(browser, "en-US")).newPage();
  await page.goto(`${server.url}${new URL(stamp.stampUrl).pathname}`);
  await page.getByTestId("pin-input").fill("1234");
  await page.getByTestId("pin-confirm").fill("1234");
  await page.getByTestId("pin-submit").click();
  await page.getByTestId("stamp-count").waitFor();
  await page.screenshot({ path: docs("stamp-page.png"), fullPage: true });
  console.log(`wrote ${docs("stamp-page.png")}`);

  // The console: a chain of two branches, each with a user; a customer with a few rows.
  const branch = await services.stores.create({ name: "Cafe Haneul", branch: "Mapo", loginId: "haneul-mapo", pool: store.id });
  const owner = await services.consoleUsers.create({ store: store.id, login: "jiwoo", role: "owner" });
  const clerk = await services.consoleUsers.create({ store: branch.id, login: "minho", role: "staff" });
  const asUser = async (login: string, password: string) => {
    const p = await (await phone(browser, "en-US")).newPage();
    await p.goto(`${server.url}/console/login`);
    await p.getByTestId("login-id").fill(login);
    await p.getByTestId("login-password").fill(password);
    await Promise.all([p.waitForURL((url) => url.pathname !== "/console/login"), p.getByTestId("login-submit").click()]);
    return p;
  };
  const counter = async (p: typeof page, phoneNumber: string, count: number) => {
    await p.goto(`${server.url}/console/counter`);
    await p.getByTestId("counter-phone").fill(phoneNumber);
    await p.getByTestId("counter-count").fill(String(count));
    await Promise.all([p.waitForURL((url) => url.search.startsWith("?member=")), p.getByTestId("counter-save").click()]);
  };
  const clerkPage = await asUser(clerk.login, clerk.password);
  await counter(clerkPage, "010-2345-6789", 3);
  const ownerPage = await asUser(owner.login, owner.password);
  await counter(ownerPage, "010-2345-6789", 2);
  await counter(clerkPage, "010-2345-6789", 1);
  await clerkPage.screenshot({ path: docs("console-counter.png"), fullPage: true });
  console.log(`wrote ${docs("console-counter.png")}`);

  await ownerPage.goto(`${server.url}/console/members?q=6789`);
  await Promise.all([ownerPage.waitForURL(/\/console\/members\/\d+$/), ownerPage.getByTestId("member-row").first().locator("a").click()]);
  await ownerPage.getByTestId("use-count").fill("4");
  await Promise.all([ownerPage.waitForURL(/\/console\/members\/\d+$/), ownerPage.getByTestId("use-submit").click()]);
  await ownerPage.screenshot({ path: docs("console-member.png"), fullPage: true });
  console.log(`wrote ${docs("console-member.png")}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
