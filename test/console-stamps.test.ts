// Stamp cards as the store console changes them (shared/spec/console.md, "stamp cards"), through
// the services on a real database: card templates edited and deactivated, and stamps issued,
// stamped, redeemed and deactivated by the store's id instead of an API key, under the stamp
// API's rules. What they do is read back through the stamp API, the ledger and its audit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type StampCall } from "./support/stamp-client.js";
import type { ConsoleActor } from "../src/vivoldi/service.js";

let s: TestServer;
let call: StampCall;
let by: ConsoleActor;
let other: ConsoleActor;
let otherCard: number;
let phoneSeq = 0;
/** A phone number of its own for each stamp, as the console writes it. */
const newPhone = () => `010-7${String(process.pid % 1000).padStart(3, "0")}-${String(phoneSeq++).padStart(4, "0")}`;
const day = (n: number) => dayFromToday(n, s.config.TIME_ZONE);

beforeAll(async () => {
  s = await startTestServer({ WEBHOOK_ALLOW_PRIVATE: "true", DB_POOL_SIZE: "16" });
  const store = await s.services.stores.create({ name: "Console cafe", limitMinute: 100_000, limitHour: 100_000, limitDay: 100_000 });
  by = { storeId: store.id, login: "owner-c" };
  call = stampClient(s, (await s.services.apiKeys.create({ store: store.id, plan: "personal" })).key);
  // Every change of a stamp queues its event for a store with a webhook (nothing listens here).
  await s.services.webhooks.set(store.id, "http://127.0.0.1:9/hook");
  const otherStore = await s.services.stores.create({ name: "Other cafe" });
  other = { storeId: otherStore.id, login: "owner-other" };
  otherCard = (await s.services.cards.create({ store: otherStore.id, name: "Tea", title: "t", maxStamps: 3 })).cardIdx;
});
afterAll(async () => {
  await s?.stop();
});

const newCard = async (maxStamps = 3, onsitePwd?: string) =>
  (await s.services.cards.create({ store: by.storeId, name: "Americano", title: `${maxStamps} for one`, maxStamps, onsitePwd })).cardIdx;
const issue = (cardIdx: number, phone = newPhone(), months = 12) =>
  s.services.stamps.issueOfStore(by, { cardIdx, phone, userName: null, months });
const validate = async (stampIdx: number) => call("validate", { stampIdx });
const events = (stampIdx: number) =>
  s.db.prisma.webhookEvent
    .findMany({ where: { storeId: by.storeId }, orderBy: [{ createdAt: "asc" }] })
    .then((all) => all.map((e) => JSON.parse(e.body)).filter((b) => b.stamp.stampIdx === stampIdx));
const entries = async (stampIdx: number) => {
  const stamp = await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: stampIdx } });
  return s.db.prisma.ledgerEntry.findMany({ where: { accountId: stamp.accountId }, orderBy: { id: "asc" } });
};
const edit = (maxStamps: number, more: Partial<{ name: string; onsitePassword: string | null }> = {}) => ({
  name: "Latte",
  title: "Collect and get one free",
  maxStamps,
  url: "https://cafe.example.com/",
  image: null,
  onsitePassword: null,
  ...more,
});

describe("issuing, stamping and redeeming from the console", () => {
  it("issues a card to a phone, valid from today; the stamp API sees it", async () => {
    const card = await newCard(3);
    const phone = newPhone();
    const issued = await issue(card, phone, 1);
    expect(issued.status).toBe("ok");
    const v = await validate(issued.stampIdx!);
    expect(v.code).toBe(0);
    expect(v.result).toMatchObject({ cardIdx: card, stamps: 0, maxStamps: 3, userPhnno: phone, activeYn: "Y", strtYmd: day(0) });
    expect(v.result.endYmd > day(27) && v.result.endYmd < day(31)).toBe(true);
    expect(v.result.stampUrl).toMatch(new RegExp(`^${s.config.publicBaseUrl}/stamp/[A-Za-z0-9_-]+$`));
  });

  it("a second issue to the same phone while its stamp is open issues nothing and names the open one", async () => {
    const card = await newCard(1);
    const phone = newPhone();
    const first = await issue(card, phone);
    expect(await issue(card, phone)).toEqual({ status: "already_open", stampIdx: first.stampIdx });
    expect(await s.db.prisma.stamp.count({ where: { cardId: card } })).toBe(1);
    // Once used, the customer may start a new one.
    expect((await s.services.stamps.addOfStore(by, first.stampIdx!, 0)).status).toBe("ok");
    expect(await s.services.stamps.redeemOfStore(by, first.stampIdx!)).toBe("ok");
    const second = await issue(card, phone);
    expect(second.status).toBe("ok");
    expect(second.stampIdx).not.toBe(first.stampIdx);
  });

  it("adds one stamp per tap: a second tap of the same button finds the count changed and adds nothing", async () => {
    const { stampIdx } = await issue(await newCard(3));
    expect(await s.services.stamps.addOfStore(by, stampIdx!, 0)).toEqual({ status: "ok", stamps: 1, maxStamps: 3 });
    expect(await s.services.stamps.addOfStore(by, stampIdx!, 0)).toEqual({ status: "changed", stamps: 1, maxStamps: 3 });
    expect((await validate(stampIdx!)).result.stamps).toBe(1);
    expect((await entries(stampIdx!)).map((e) => [e.kind, e.delta, e.balanceAfter, e.consoleLogin])).toEqual([
      ["stamp_add", 1, 1, by.login],
    ]);
  });

  it("add to a full card is refused, redeem before full is refused, redeem of a full card uses it once", async () => {
    const { stampIdx } = await issue(await newCard(2));
    expect((await s.services.stamps.addOfStore(by, stampIdx!, 0)).status).toBe("ok");
    expect(await s.services.stamps.redeemOfStore(by, stampIdx!)).toBe("not_enough_stamps");
    expect((await s.services.stamps.addOfStore(by, stampIdx!, 1)).status).toBe("ok");
    expect(await s.services.stamps.addOfStore(by, stampIdx!, 2)).toEqual({ status: "card_full", stamps: 2, maxStamps: 2 });
    expect(await s.services.stamps.redeemOfStore(by, stampIdx!)).toBe("ok");
    expect(await s.services.stamps.redeemOfStore(by, stampIdx!)).toBe("already_used");
    expect((await validate(stampIdx!)).code).toBe(2005);
    expect((await entries(stampIdx!)).map((e) => [e.kind, e.consoleLogin])).toEqual([
      ["stamp_add", by.login],
      ["stamp_add", by.login],
      ["stamp_use", by.login],
    ]);
  });

  it("redeems a card with an on-site password without it: the console's user is the shop's staff", async () => {
    const { stampIdx } = await issue(await newCard(1, "4321"));
    await s.services.stamps.addOfStore(by, stampIdx!, 0);
    expect(await s.services.stamps.redeemOfStore(by, stampIdx!)).toBe("ok");
  });

  it("queues the same STAMP events as the API's calls: ADD with the change, USE", async () => {
    const { stampIdx } = await issue(await newCard(1));
    await s.services.stamps.addOfStore(by, stampIdx!, 0);
    const afterAdd = (await validate(stampIdx!)).result;
    await s.services.stamps.redeemOfStore(by, stampIdx!);
    const sent = await events(stampIdx!);
    expect(sent.map((e) => [e.resourceType, e.action, e.change])).toEqual([
      ["STAMP", "ADD", 1],
      ["STAMP", "USE", 0],
    ]);
    expect(sent[0].stamp).toEqual(afterAdd);
  });

  it("deactivates a stamp: the API and the console refuse it as inactive; activated again it works", async () => {
    const { stampIdx } = await issue(await newCard(3));
    expect(await s.services.stamps.setActiveOfStore(by, stampIdx!, false)).toBe("ok");
    expect((await validate(stampIdx!)).code).toBe(2004);
    expect((await s.services.stamps.addOfStore(by, stampIdx!, 0)).status).toBe("inactive");
    expect(await s.services.stamps.setActiveOfStore(by, stampIdx!, true)).toBe("ok");
    expect((await s.services.stamps.addOfStore(by, stampIdx!, 0)).status).toBe("ok");
    expect(await entries(stampIdx!)).toHaveLength(1);
  });

  it("another store's stamps and cards are not found, and not listed", async () => {
    const { stampIdx } = await issue(await newCard(3));
    expect((await s.services.stamps.addOfStore(other, stampIdx!, 0)).status).toBe("stamp_not_found");
    expect(await s.services.stamps.redeemOfStore(other, stampIdx!)).toBe("stamp_not_found");
    expect(await s.services.stamps.setActiveOfStore(other, stampIdx!, false)).toBe("stamp_not_found");
    expect(await s.services.stamps.listOfStore(other.storeId, { stampIdx: stampIdx!, limit: 10 })).toEqual([]);
    expect((await s.services.stamps.issueOfStore(by, { cardIdx: otherCard, phone: newPhone(), userName: null, months: 1 })).status).toBe(
      "card_not_found",
    );
    expect((await validate(stampIdx!)).result.stamps).toBe(0);
  });

  it("lists a card's stamps newest first, and by the digits of a phone", async () => {
    const card = await newCard(3);
    const phones = [newPhone(), newPhone()];
    const ids = [];
    for (const phone of phones) ids.push((await issue(card, phone)).stampIdx);
    await s.services.stamps.addOfStore(by, ids[0]!, 0);
    const listed = await s.services.stamps.listOfStore(by.storeId, { cardIdx: card, limit: 10 });
    expect(listed.map((l) => [l.stamp.stampIdx, l.stamp.stamps, l.used])).toEqual([
      [ids[1], 0, false],
      [ids[0], 1, false],
    ]);
    const byDigits = await s.services.stamps.listOfStore(by.storeId, { cardIdx: card, phoneDigits: phones[0]!.slice(-4), limit: 10 });
    expect(byDigits.map((l) => l.stamp.userPhnno)).toEqual([phones[0]]);
  });
});

describe("card templates: edit and deactivate", () => {
  it("an edit sets every field, and the stamps issued show it, their maximum with it", async () => {
    const card = await newCard(2, "1111");
    const { stampIdx } = await issue(card);
    await s.services.stamps.addOfStore(by, stampIdx!, 0);
    await s.services.stamps.addOfStore(by, stampIdx!, 1);
    expect(await s.services.cards.update(by.storeId, card, edit(4))).toEqual({ status: "ok" });
    expect(await s.services.cards.get(by.storeId, card)).toMatchObject({
      cardNm: "Latte",
      cardTtl: "Collect and get one free",
      maxStamps: 4,
      url: "https://cafe.example.com/",
      onsiteYn: "N",
      onsitePwd: null,
      activeYn: "Y",
    });
    expect((await validate(stampIdx!)).result).toMatchObject({ cardNm: "Latte", stamps: 2, maxStamps: 4, onsiteYn: "N" });
    // No longer full: two more stamps fit, and redeem waits for them.
    expect(await s.services.stamps.redeemOfStore(by, stampIdx!)).toBe("not_enough_stamps");
    expect((await s.services.stamps.addOfStore(by, stampIdx!, 2)).status).toBe("ok");
    expect((await s.services.verify()).ok).toBe(true);
  });

  it("a maximum below a stamp's count is refused, says how many stamps hold more, and changes nothing", async () => {
    const card = await newCard(3);
    for (const count of [3, 2, 1]) {
      const { stampIdx } = await issue(card);
      for (let i = 0; i < count; i++) await s.services.stamps.addOfStore(by, stampIdx!, i);
    }
    expect(await s.services.cards.update(by.storeId, card, edit(1, { name: "Shrunk" }))).toEqual({
      status: "above_new_maximum",
      stampsAbove: 2,
    });
    expect(await s.services.cards.get(by.storeId, card)).toMatchObject({ cardNm: "Americano", maxStamps: 3 });
    expect(await s.services.cards.update(by.storeId, card, edit(3, { onsitePassword: "2222" }))).toEqual({ status: "ok" });
    expect(await s.services.cards.get(by.storeId, card)).toMatchObject({ onsiteYn: "Y", onsitePwd: "2222" });
    expect((await s.services.verify()).ok).toBe(true);
  });

  it("another store's card is not found by edit or deactivation", async () => {
    expect(await s.services.cards.update(by.storeId, otherCard, edit(3))).toEqual({ status: "card_not_found" });
    expect(await s.services.cards.setActive(by.storeId, otherCard, false)).toBe(false);
    expect(await s.services.cards.get(by.storeId, otherCard)).toBeNull();
    expect(await s.services.cards.get(other.storeId, otherCard)).toMatchObject({ cardNm: "Tea", activeYn: "Y" });
  });

  it("a deactivated card issues no stamp (console, API create and update's cardIdx); its stamps work on", async () => {
    const card = await newCard(3);
    const { stampIdx } = await issue(card);
    const elsewhere = (await issue(await newCard(3))).stampIdx!;
    expect(await s.services.cards.setActive(by.storeId, card, false)).toBe(true);
    expect((await s.services.cards.get(by.storeId, card))!.activeYn).toBe("N");

    expect((await issue(card)).status).toBe("card_not_found");
    expect((await call("create", { cardIdx: card, strtYmd: day(0), endYmd: day(30) })).code).toBe(2009);
    expect((await call("update", { stampIdx: elsewhere, cardIdx: card })).code).toBe(2009);

    expect((await validate(stampIdx!)).code).toBe(0);
    expect((await s.services.stamps.addOfStore(by, stampIdx!, 0)).status).toBe("ok");
    expect((await call("add", { stampIdx: stampIdx! })).code).toBe(0);

    expect(await s.services.cards.setActive(by.storeId, card, true)).toBe(true);
    expect((await call("create", { cardIdx: card, strtYmd: day(0), endYmd: day(30) })).code).toBe(0);
  });
});

describe("a card's maximum while stamps are put on it (PostgreSQL runs these at once)", () => {
  it("edits of the maximum among creates, moves onto the card and adds: every stamp's maximum ends as its card's", async () => {
    const card = await newCard(5);
    const from = await newCard(2);
    const moving = [];
    for (let i = 0; i < 6; i++) moving.push((await issue(from)).stampIdx!);
    const maxima = [6, 7, 8, 9, 10];
    await Promise.all([
      ...maxima.map((max) => s.services.cards.update(by.storeId, card, edit(max))),
      ...Array.from({ length: 8 }, () => call("create", { cardIdx: card, strtYmd: day(0), endYmd: day(30) })),
      ...Array.from({ length: 4 }, () => issue(card)),
      ...moving.map((stampIdx) => call("update", { stampIdx, cardIdx: card })),
      ...moving.map((stampIdx) => s.services.stamps.addOfStore(by, stampIdx, 0)),
    ]);
    const final = (await s.services.cards.get(by.storeId, card))!.maxStamps;
    expect(maxima).toContain(final);
    const listed = await s.services.stamps.listOfStore(by.storeId, { cardIdx: card, limit: 100 });
    expect(listed).toHaveLength(8 + 4 + moving.length);
    expect(new Set(listed.map((l) => l.stamp.maxStamps))).toEqual(new Set([final]));
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
  });
});
