// The console's import and export page (shared/spec/console.md, "/console/data";
// shared/spec/migration.md) in headless Chromium on a phone-sized screen: an owner uploads a
// customer list, sees its dry run and every wrong line, confirms a good one, and downloads the
// exports; staff are refused. What was imported is read back through the OPEN API.
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { consoleUser, logIn, serverWithBrowser } from "./support/console.js";

const bed = serverWithBrowser();
const { describeInBrowser, newPhone: newPage } = bed;
let phoneSeq = 0;
/** A mobile number of its own per customer (the PostgreSQL leg shares one server). */
const newPhone = () => `010-6${String(process.pid % 1000).padStart(3, "0")}-${String(phoneSeq++).padStart(4, "0")}`;
const BOM = "\uFEFF";

async function storeWith(role: "owner" | "staff", locale?: string) {
  const store = await bed.s.services.stores.create({ name: "Noodle Bar" });
  const user = await consoleUser(bed.s, store.id, role);
  const page = await newPage(locale);
  await logIn(page, bed.s.url, user.login, user.password);
  return { store, user, page };
}

const message = (page: Page) => page.getByTestId("message").textContent();
const csrfOf = (page: Page) => page.locator("input[name=_csrf]").first().inputValue();
const balance = (store: { id: number; auth_code: string }, number: string) =>
  bed.s.form("/api/open/balance", { id: store.id, auth_code: store.auth_code, device: "openapi", number });
const csv = (lines: string[]) => Buffer.from(`${BOM}${lines.join("\r\n")}\r\n`);

/** Chooses `file` and sends it to be checked; the preview page follows. */
async function upload(page: Page, name: string, file: Buffer) {
  await page.goto(`${bed.s.url}/console/data`);
  await page.getByTestId("import-file").setInputFiles({ name, mimeType: "text/csv", buffer: file });
  await Promise.all([page.waitForNavigation(), page.getByTestId("import-check").click()]);
}

/** The figures of the dry run's summary, by name. */
const figures = async (page: Page) =>
  Object.fromEntries(
    await page
      .getByTestId("import-preview")
      .locator("[data-figure]")
      .evaluateAll((dds) => dds.map((d) => [d.getAttribute("data-figure"), d.textContent])),
  );

/** Clicks a download link and answers the downloaded file's text. */
async function download(page: Page, testId: string) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).click()]);
  return { name: file.suggestedFilename(), text: await readFile(await file.path(), "utf8") };
}

describeInBrowser("importing a customer list", () => {
  it("a file with wrong lines shows each of them and cannot be confirmed; nothing is written", async () => {
    const { store, page } = await storeWith("owner");
    const [good, bad] = [newPhone(), newPhone()];
    await upload(page, "members.csv", csv(["휴대폰,보유스탬프", `${good},5`, `${bad},lots`, "02-123-4567,1"]));

    const errors = page.getByTestId("import-errors");
    expect(await errors.getByRole("alert").textContent()).toBe("2 wrong line(s): nothing was imported.");
    expect(await errors.locator("tbody tr").evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)))).toEqual([
      ["3", "보유스탬프", "must be a whole number from 0 to 2147483647"],
      ["4", "휴대폰", "not a mobile phone number"],
    ]);
    expect(await page.getByTestId("import-confirm").count()).toBe(0);
    expect(await balance(store, good)).toMatchObject({ result: false, code: "MEMBER_NOT_FOUND" });
    expect(await bed.s.db.prisma.importUpload.count({ where: { storeId: store.id } })).toBe(0);
  });

  it("a good file shows its dry run, and the confirmation imports it: balances, kept numbers, the owner on the rows", async () => {
    const { store, user, page } = await storeWith("owner");
    const phones = [newPhone(), newPhone(), newPhone()];
    const kept = 700_000 + (process.pid % 100_000);
    await upload(
      page,
      "stampang.csv",
      csv(["phone,member_no,balance,joined", `${phones[0]},${kept},12,2023-05-01`, `${phones[1]},,3,`, `${phones[2]},,0,`]),
    );
    expect(await page.getByTestId("import-preview").locator("p").first().textContent()).toBe("File: stampang.csv");
    expect(await figures(page)).toEqual({
      lines_read: "3",
      members_new_to_server: "3",
      members_new_to_pool: "3",
      balance_imported: "15",
      kept_member_numbers: "1",
    });
    // The dry run wrote nothing.
    expect(await balance(store, phones[0]!)).toMatchObject({ result: false, code: "MEMBER_NOT_FOUND" });

    await Promise.all([page.waitForNavigation(), page.getByTestId("import-confirm").click()]);
    expect(new URL(page.url()).pathname).toBe("/console/data");
    expect(await message(page)).toBe("Imported 3 customer(s), total balance 15.");
    expect(await balance(store, phones[0]!)).toMatchObject({ result: true, member_no: kept, total_count: 12 });
    expect(await balance(store, phones[1]!)).toMatchObject({ result: true, total_count: 3 });
    expect(await balance(store, phones[2]!)).toMatchObject({ result: true, total_count: 0 });
    const rows = await bed.s.db.prisma.ledgerEntry.findMany({ where: { storeId: store.id } });
    expect(rows.map((r) => [r.kind, r.delta, r.consoleLogin]).sort()).toEqual([
      ["import", 12, user.login],
      ["import", 3, user.login],
    ]);
    expect((await bed.s.services.verify()).ok).toBe(true);
  });

  it("confirming the same upload twice imports once; a confirmation of no upload says so", async () => {
    const { store, page } = await storeWith("owner");
    const phone = newPhone();
    await upload(page, "one.csv", csv(["phone,balance", `${phone},4`]));
    const form = { _csrf: await csrfOf(page), upload: await page.locator("input[name=upload]").inputValue() };
    const confirm = () =>
      page.request.post(`${bed.s.url}/console/data/import/confirm`, { form, maxRedirects: 0, headers: { "accept-language": "en" } });
    expect((await confirm()).status()).toBe(303);
    expect((await confirm()).status()).toBe(303);
    await page.goto(`${bed.s.url}/console/data`);
    expect(await message(page)).toBe(
      "The checked file is gone (after an hour, or another file was uploaded). Please upload it again. Nothing was imported.",
    );
    expect(await balance(store, phone)).toMatchObject({ total_count: 4 });
  });

  it("speaks Korean and fits 360 px", async () => {
    const { page } = await storeWith("owner", "ko-KR");
    await page.goto(`${bed.s.url}/console/data`);
    expect(await page.locator("h1").textContent()).toBe("가져오기·내보내기");
    expect(await page.getByTestId("export-members").textContent()).toBe("고객 목록 받기");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // What is wrong with a line is said in Korean too.
    await upload(page, "bad.csv", csv(["휴대폰번호,포인트", "12345,1", `${newPhone()},-3`]));
    expect(await page.getByTestId("import-errors").locator("tbody tr").allTextContents()).toEqual([
      "2휴대폰번호휴대폰 번호가 아닙니다.",
      "3포인트0부터 2147483647까지의 정수여야 합니다.",
    ]);
  });
});

describeInBrowser("downloading the exports", () => {
  it("the members and the history of the store's pool, as CSV files that Excel reads", async () => {
    const { store, page } = await storeWith("owner");
    const phone = newPhone();
    await upload(page, "one.csv", csv(["phone,balance", `${phone},7`]));
    await Promise.all([page.waitForNavigation(), page.getByTestId("import-confirm").click()]);
    const saved = await bed.s.form("/api/open/save", {
      id: store.id,
      auth_code: store.auth_code,
      device: "openapi",
      number: phone,
      count: 2,
    });
    expect(saved.result).toBe(true);
    const { member_no, total_count } = await balance(store, phone);
    expect(total_count).toBe(9);

    const members = await download(page, "export-members");
    expect(members.name).toBe(`store-${store.id}-members.csv`);
    const memberLines = members.text.split("\n").filter(Boolean);
    expect(memberLines[0]).toBe(`${BOM}member_no,phone,balance,joined,last_activity`);
    expect(memberLines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${member_no},${phone},9,`))]);

    const history = await download(page, "export-history");
    expect(history.name).toBe(`store-${store.id}-history.csv`);
    const historyLines = history.text.split("\n").filter(Boolean);
    expect(historyLines[0]).toBe(`${BOM}id,date,member_no,phone,type,count,content,login_id,place,balance_after`);
    expect(historyLines.slice(1).map((l) => l.split(",").slice(2, 7).concat(l.split(",").at(-1)!))).toEqual([
      [String(member_no), phone, "0", "7", "이관", "7"],
      [String(member_no), phone, "0", "2", "적립", "9"],
    ]);
  });
});

describeInBrowser("only the owner", () => {
  it("staff are refused the page (403), and forged uploads and confirmations change nothing", async () => {
    const { store, page } = await storeWith("staff");
    expect(await page.getByRole("link", { name: "Import / export" }).count()).toBe(0);
    expect((await page.goto(`${bed.s.url}/console/data`))!.status()).toBe(403);
    expect((await page.goto(`${bed.s.url}/console/data/members.csv`))!.status()).toBe(403);
    await page.goto(`${bed.s.url}/console/cards`);
    const csrf = await csrfOf(page);
    const phone = newPhone();
    const forgedUpload = await page.request.post(`${bed.s.url}/console/data/import`, {
      multipart: { _csrf: csrf, file: { name: "x.csv", mimeType: "text/csv", buffer: csv(["phone,balance", `${phone},100`]) } },
      maxRedirects: 0,
    });
    expect(forgedUpload.status()).toBe(403);
    const forgedConfirm = await page.request.post(`${bed.s.url}/console/data/import/confirm`, {
      form: { _csrf: csrf, upload: "anything" },
      maxRedirects: 0,
    });
    expect(forgedConfirm.status()).toBe(403);
    expect(await bed.s.db.prisma.importUpload.count({ where: { storeId: store.id } })).toBe(0);
    expect(await balance(store, phone)).toMatchObject({ result: false, code: "MEMBER_NOT_FOUND" });
  });
});
