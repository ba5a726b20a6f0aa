// Takes docs/stamp-page.png: the stamp page of a ten-stamp card with four stamps, as a customer
// sees it in Chromium on a 360 x 740 phone screen. Runs its own server on a temporary embedded
// database: `npm run screenshot`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../src/platform/config.js";
import { startServer } from "../src/server.js";
import { launchChromium, phone } from "../test/support/browser.js";

const OUT = path.resolve(import.meta.dirname, "../docs/stamp-page.png");

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
  await page.screenshot({ path: OUT, fullPage: true });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
