// The stamp API contract (shared/spec/vivoldi-stamp-api.md) over real HTTP, on the embedded
// database or on PostgreSQL when DATABASE_URL is set. Keys, plans and rate limits have their own
// file (stamp-limits.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type Params, type StampAnswer, type StampCall } from "./support/stamp-client.js";

let s: TestServer;
let call: StampCall;
/** Another store's client: its stamps must be invisible to `call`. */
let other: StampCall;
let store: { id: number };
/** A ten-stamp card, one with the on-site option, and another store's card. */
let card: number;
let onsiteCard: number;
let otherCard: number;
const day = (n: number) => dayFromToday(n, s.config.TIME_ZONE);
const period = () => ({ strtYmd: day(-1), endYmd: day(365) });

/** The seed's example result (shared/seeds/001_f653824a241fc456.txt). */
const SEED_RESULT = {
  stampIdx: 16,
  domain: "https://vvd.bz",
  cardIdx: 1,
  cardNm: "Accumulate 10 Americanos",
  cardTtl: "Collect 10 stamps to get one free Americano.",
  stamps: 10,
  maxStamps: 12,
  stampUrl: "https://vvd.bz/stamp/274",
  url: "https://myshopping.com",
  strtYmd: "2025-01-01",
  endYmd: "2026-12-31",
  onsiteYn: "Y",
  onsitePwd: "123456",
  memo: null,
  activeYn: "Y",
  userId: "NKkDu9X4p4mQ",
  userNm: null,
  userPhnno: null,
  userEml: null,
  userEtc1: null,
  userEtc2: null,
  stampImgUrl: "https://cdn.vivoldi.com/www/image/icon/stamp/icon.stamp.1.webp",
  regYmdt: "2025-10-30 05:11:35",
  payloadVersion: "v1",
};

// Generous operator overrides: this file makes hundreds of calls a minute.
const NO_LIMITS = { limitMinute: 1_000_000, limitHour: 1_000_000, limitDay: 1_000_000 };

beforeAll(async () => {
  s = await startTestServer({ DB_POOL_SIZE: "16" });
  store = await s.services.stores.create({ name: "Cafe", loginId: "cafe", ...NO_LIMITS });
  call = stampClient(s, (await s.services.apiKeys.create({ store: store.id, plan: "personal" })).key);
  card = (
    await s.services.cards.create({
      store: store.id,
      name: "Americano",
      title: "10 stamps, one free Americano",
      maxStamps: 10,
      url: "https://shop.example/menu",
    })
  ).cardIdx;
  onsiteCard = (await s.services.cards.create({ store: store.id, name: "Latte", title: "3 stamps", maxStamps: 3, onsitePwd: "123456" }))
    .cardIdx;
  const rival = await s.services.stores.create({ name: "Rival", ...NO_LIMITS });
  other = stampClient(s, (await s.services.apiKeys.create({ store: rival.id, plan: "business" })).key);
  otherCard = (await s.services.cards.create({ store: rival.id, name: "Rival card", title: "5 stamps", maxStamps: 5 })).cardIdx;
});
afterAll(() => s?.stop());

const ok = (a: StampAnswer, result: unknown = null) =>
  expect({ status: a.status, code: a.code, message: a.message, result: a.result }).toEqual({ status: 200, code: 0, message: "", result });

const fails = (a: StampAnswer, status: number, code: number, messagePart = "") => {
  expect({ status: a.status, code: a.code, result: a.result }).toEqual({ status, code, result: null });
  expect(a.message).not.toBe("");
  expect(a.message).toContain(messagePart);
};

async function newStamp(params: Params = {}, client = call): Promise<number> {
  const a = await client("create", { cardIdx: card, ...period(), ...params });
  ok(a, expect.stringMatching(/^\d+$/));
  return Number(a.result);
}

async function fill(stampIdx: number, n: number) {
  for (let i = 0; i < n; i++) ok(await call("add", { stampIdx }));
}

/** The stamp's row, count and ledger rows as the database holds them. */
async function ledgerOf(stampIdx: number) {
  const st = await s.db.prisma.stamp.findUniqueOrThrow({
    where: { id: stampIdx },
    include: { account: { include: { entries: { orderBy: { id: "asc" } } } } },
  });
  return {
    stamp: st,
    balance: st.account.balance,
    max: st.account.maxBalance,
    rows: st.account.entries.map((e) => [e.kind, e.delta, e.balanceAfter]),
  };
}

describe("the lifecycle of a stamp", () => {
  it("create, add to full, refuse past full, remove, redeem, validate after redeem", async () => {
    const idx = await newStamp({ userNm: "Kim", userPhnno: "010-1234-5678" });

    ok(
      await call("validate", { stampIdx: idx }),
      expect.objectContaining({ stampIdx: idx, stamps: 0, maxStamps: 10, activeYn: "Y", userNm: "Kim" }),
    );

    await fill(idx, 10);
    fails(await call("add", { stampIdx: idx }), 200, 2006);
    expect((await call("validate", { stampIdx: idx })).result.stamps).toBe(10);

    ok(await call("remove", { stampIdx: idx }));
    fails(await call("redeem", { stampIdx: idx }), 200, 2007);
    ok(await call("add", { stampIdx: idx }));
    ok(await call("redeem", { stampIdx: idx }));

    fails(await call("validate", { stampIdx: idx }), 200, 2005);
    fails(await call("redeem", { stampIdx: idx }), 200, 2005);
    fails(await call("add", { stampIdx: idx }), 200, 2005);

    const l = await ledgerOf(idx);
    expect([l.stamp.used, l.balance]).toEqual([true, 10]);
    expect(l.rows).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ["stamp_add", 1, i + 1]),
      ["stamp_remove", -1, 9],
      ["stamp_add", 1, 10],
      ["stamp_use", 0, 10],
    ]);
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
  });

  it("redeem with the on-site password: missing is 1000, wrong is 2008, right redeems once", async () => {
    const idx = await newStamp({ cardIdx: onsiteCard });
    await fill(idx, 3);
    fails(await call("redeem", { stampIdx: idx }), 400, 1000, "onsitePwd");
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "654321" }), 200, 2008);
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "12345" }), 200, 2008);
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "1234567" }), 200, 2008);
    ok(await call("redeem", { stampIdx: idx, onsitePwd: "123456" }));
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "123456" }), 200, 2005);
    expect((await ledgerOf(idx)).rows.filter((r) => r[0] === "stamp_use")).toHaveLength(1);
  });

  it("redeem without an on-site option ignores onsitePwd", async () => {
    const idx = await newStamp();
    await fill(idx, 10);
    ok(await call("redeem", { stampIdx: idx, onsitePwd: "anything" }));
  });
});

describe("validate returns every field of the seed example", () => {
  it("with the same names, order and formats", async () => {
    const idx = await newStamp({
      cardIdx: onsiteCard,
      strtYmd: "2025-01-01",
      endYmd: day(30),
      memo: "VIP",
      userId: "att78z",
      userNm: "Brown Smith",
      userPhnno: "+1 123-4567-8900",
      userEml: "test@gmail.com",
      userEtc1: "Gold rating",
      userEtc2: "",
    });
    await fill(idx, 2);
    const v = await call("validate", { stampIdx: idx });
    ok(v, expect.any(Object));
    expect(Object.keys(v.result)).toEqual(Object.keys(SEED_RESULT));
    const base = s.config.publicBaseUrl;
    const registered = await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: idx } });
    const regYmdt = new Intl.DateTimeFormat("sv-SE", { timeZone: s.config.TIME_ZONE, dateStyle: "short", timeStyle: "medium" }).format(
      registered.createdAt,
    );
    expect(v.result).toEqual({
      stampIdx: idx,
      domain: base,
      cardIdx: onsiteCard,
      cardNm: "Latte",
      cardTtl: "3 stamps",
      stamps: 2,
      maxStamps: 3,
      stampUrl: `${base}/stamp/${registered.pageCode}`,
      url: null,
      strtYmd: "2025-01-01",
      endYmd: day(30),
      onsiteYn: "Y",
      onsitePwd: "123456",
      memo: "VIP",
      activeYn: "Y",
      userId: "att78z",
      userNm: "Brown Smith",
      userPhnno: "+1 123-4567-8900",
      userEml: "test@gmail.com",
      userEtc1: "Gold rating",
      userEtc2: null,
      stampImgUrl: `${base}/static/stamp.svg`,
      regYmdt,
      payloadVersion: "v1",
    });
    expect(v.result.regYmdt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it("generates a 12-character userId and an unguessable page code, and nulls the rest like the seed", async () => {
    const a = await newStamp();
    const b = await newStamp();
    const [va, vb] = [(await call("validate", { stampIdx: a })).result, (await call("validate", { stampIdx: b })).result];
    expect(va.userId).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(va.userId).not.toBe(vb.userId);
    const code = va.stampUrl.split("/stamp/")[1];
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(code).not.toBe(String(a));
    expect(vb.stampUrl).not.toBe(va.stampUrl);
    expect(va).toMatchObject({
      url: "https://shop.example/menu",
      onsiteYn: "N",
      onsitePwd: null,
      memo: null,
      userNm: null,
      userPhnno: null,
      userEml: null,
      userEtc1: null,
      userEtc2: null,
    });
  });

  it("uses the card's own image when it has one", async () => {
    const imaged = await s.services.cards.create({
      store: store.id,
      name: "Tea",
      title: "t",
      maxStamps: 5,
      image: "https://cdn.example/tea.webp",
    });
    const idx = await newStamp({ cardIdx: imaged.cardIdx });
    expect((await call("validate", { stampIdx: idx })).result.stampImgUrl).toBe("https://cdn.example/tea.webp");
  });
});

describe("every code of the table", () => {
  it("1000: missing or malformed parameters, named in the message, change nothing", async () => {
    const idx = await newStamp();
    const stampsBefore = await s.db.prisma.stamp.count();
    const cases: [string, Params, string][] = [
      ["validate", {}, "stampIdx is required"],
      ["validate", { stampIdx: "abc" }, "stampIdx"],
      ["add", { stampIdx: 0 }, "stampIdx"],
      ["add", { stampIdx: "1.5" }, "stampIdx"],
      ["create", { strtYmd: day(0), endYmd: day(1) }, "cardIdx is required"],
      ["create", { cardIdx: card, endYmd: day(1) }, "strtYmd is required"],
      ["create", { cardIdx: card, strtYmd: day(0), endYmd: "2025-13-01" }, "endYmd"],
      ["create", { cardIdx: card, strtYmd: "2025-02-30", endYmd: day(1) }, "strtYmd"],
      ["create", { cardIdx: card, strtYmd: "20250101", endYmd: day(1) }, "strtYmd"],
      ["create", { cardIdx: card, ...period(), activeYn: "X" }, "activeYn"],
      ["create", { cardIdx: card, ...period(), userEml: "not-an-email" }, "userEml"],
      ["create", { cardIdx: card, ...period(), domain: "ftp://x.example" }, "domain"],
      ["create", { cardIdx: card, ...period(), memo: "x".repeat(1001) }, "memo"],
      ["update", { stampIdx: idx, stamps: -1 }, "stamps"],
      ["update", { stampIdx: idx, stamps: 11 }, "stamps"],
      ["update", { stampIdx: idx, useYn: "yes" }, "useYn"],
    ];
    for (const [endpoint, params, named] of cases) {
      fails(await call(endpoint, params), 400, 1000, named);
    }
    const bad = await fetch(`${s.url}/api/stamp/v1/add`, {
      method: "PUT",
      headers: { authorization: await keyHeader(), "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 1000, result: null });
    expect((await ledgerOf(idx)).rows).toEqual([]);
    expect(await s.db.prisma.stamp.count()).toBe(stampsBefore);
  });

  it("2001: an unknown stamp, on every endpoint", async () => {
    for (const endpoint of ["validate", "add", "remove", "update", "redeem", "delete"]) {
      fails(await call(endpoint, { stampIdx: 999999 }), 200, 2001);
    }
  });

  it("2002: not valid yet, before strtYmd (validate, add, redeem)", async () => {
    const idx = await newStamp({ strtYmd: day(1), endYmd: day(10) });
    for (const endpoint of ["validate", "add", "redeem"]) fails(await call(endpoint, { stampIdx: idx }), 200, 2002);
  });

  it("2003: expired, after endYmd; endYmd itself is still valid", async () => {
    const expired = await newStamp({ strtYmd: day(-10), endYmd: day(-1) });
    for (const endpoint of ["validate", "add", "redeem"]) fails(await call(endpoint, { stampIdx: expired }), 200, 2003);
    const lastDay = await newStamp({ strtYmd: day(-10), endYmd: day(0) });
    ok(await call("add", { stampIdx: lastDay }));
    const firstDay = await newStamp({ strtYmd: day(0), endYmd: day(0) });
    ok(await call("add", { stampIdx: firstDay }));
  });

  it("2004: inactive (validate, add, redeem); inactivity wins over the period", async () => {
    const idx = await newStamp({ activeYn: "N" });
    for (const endpoint of ["validate", "add", "redeem"]) fails(await call(endpoint, { stampIdx: idx }), 200, 2004);
    const both = await newStamp({ activeYn: "N", strtYmd: day(-10), endYmd: day(-1) });
    fails(await call("validate", { stampIdx: both }), 200, 2004);
  });

  it("2005, 2006, 2007, 2008: used, full, not enough, wrong on-site password", async () => {
    const idx = await newStamp({ cardIdx: onsiteCard });
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "123456" }), 200, 2007);
    await fill(idx, 3);
    fails(await call("add", { stampIdx: idx }), 200, 2006);
    fails(await call("redeem", { stampIdx: idx, onsitePwd: "000000" }), 200, 2008);
    ok(await call("redeem", { stampIdx: idx, onsitePwd: "123456" }));
    fails(await call("validate", { stampIdx: idx }), 200, 2005);
  });

  it("2007: remove never goes below 0", async () => {
    const idx = await newStamp();
    fails(await call("remove", { stampIdx: idx }), 200, 2007);
    ok(await call("add", { stampIdx: idx }));
    ok(await call("remove", { stampIdx: idx }));
    fails(await call("remove", { stampIdx: idx }), 200, 2007);
    expect((await ledgerOf(idx)).rows).toEqual([
      ["stamp_add", 1, 1],
      ["stamp_remove", -1, 0],
    ]);
  });

  it("2009: card not found on create and update, including another store's card", async () => {
    fails(await call("create", { cardIdx: 999999, ...period() }), 200, 2009);
    fails(await call("create", { cardIdx: otherCard, ...period() }), 200, 2009);
    const idx = await newStamp();
    fails(await call("update", { stampIdx: idx, cardIdx: otherCard }), 200, 2009);
    expect((await ledgerOf(idx)).stamp.cardId).toBe(card);
  });

  it("2010: invalid validity period on create and update", async () => {
    fails(await call("create", { cardIdx: card, strtYmd: day(5), endYmd: day(4) }), 200, 2010);
    const fiveYears = dayFromToday(0, s.config.TIME_ZONE).replace(/^\d{4}/, (y) => String(Number(y) + 5));
    const limit = fiveYears.endsWith("02-29") ? fiveYears.replace("02-29", "02-28") : fiveYears;
    const d = new Date(`${limit}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    fails(await call("create", { cardIdx: card, strtYmd: day(0), endYmd: d.toISOString().slice(0, 10) }), 200, 2010);
    ok(await call("create", { cardIdx: card, strtYmd: day(0), endYmd: limit }), expect.stringMatching(/^\d+$/));
    const idx = await newStamp();
    fails(await call("update", { stampIdx: idx, endYmd: day(-2) }), 200, 2010);
    fails(await call("update", { stampIdx: idx, strtYmd: day(366) }), 200, 2010);
    expect(await s.db.prisma.stamp.count({ where: { validUntil: { gt: new Date(`${limit}T00:00:00Z`) } } })).toBe(0);
  });

  it("5000: a database fault answers 500 with the request id and no internals", async () => {
    const idx = await newStamp();
    await s.db.prisma.$executeRawUnsafe(`ALTER TABLE card RENAME TO card_away`);
    try {
      const a = await call("validate", { stampIdx: idx });
      fails(a, 500, 5000, "Unexpected error");
      expect(a.message).toContain(a.headers.get("x-request-id")!);
      expect(a.message).not.toMatch(/card|relation|sql/i);
    } finally {
      await s.db.prisma.$executeRawUnsafe(`ALTER TABLE card_away RENAME TO card`);
    }
  });
});

async function keyHeader() {
  const { key } = await s.services.apiKeys.create({ store: store.id });
  return `APIKey ${key}`;
}

describe("another store's stamps are not found", () => {
  it("on every endpoint, and nothing changes", async () => {
    const idx = await newStamp();
    await fill(idx, 10);
    for (const endpoint of ["validate", "add", "remove", "update", "redeem", "delete"]) {
      fails(await other(endpoint, { stampIdx: idx, stamps: 1, useYn: "Y" }), 200, 2001);
    }
    const l = await ledgerOf(idx);
    expect([l.balance, l.rows.length, l.stamp.used, l.stamp.deletedAt]).toEqual([10, 10, false, null]);
    const theirs = await newStamp({ cardIdx: otherCard }, other);
    fails(await call("validate", { stampIdx: theirs }), 200, 2001);
    ok(await other("validate", { stampIdx: theirs }), expect.objectContaining({ cardIdx: otherCard }));
  });
});

describe("update", () => {
  it("sets the absolute count with one row of the difference, none when unchanged", async () => {
    const idx = await newStamp();
    ok(await call("update", { stampIdx: idx, stamps: 7 }));
    ok(await call("update", { stampIdx: idx, stamps: 7 }));
    ok(await call("update", { stampIdx: idx, stamps: 3 }));
    ok(await call("update", { stampIdx: idx, stamps: 10 }));
    ok(await call("update", { stampIdx: idx, stamps: 0 }));
    expect((await ledgerOf(idx)).rows).toEqual([
      ["stamp_set", 7, 7],
      ["stamp_set", -4, 3],
      ["stamp_set", 7, 10],
      ["stamp_set", -10, 0],
    ]);
  });

  it("marks the benefit used and unused with a row each, and works on any state", async () => {
    const idx = await newStamp({ activeYn: "N" });
    ok(await call("update", { stampIdx: idx, useYn: "Y", stamps: 4 }));
    ok(await call("update", { stampIdx: idx, useYn: "Y" }));
    ok(await call("update", { stampIdx: idx, activeYn: "Y" }));
    fails(await call("validate", { stampIdx: idx }), 200, 2005);
    ok(await call("update", { stampIdx: idx, useYn: "N" }));
    ok(await call("validate", { stampIdx: idx }), expect.objectContaining({ stamps: 4, activeYn: "Y" }));
    const l = await ledgerOf(idx);
    expect(l.rows).toEqual([
      ["stamp_set", 4, 4],
      ["stamp_use", 0, 4],
      ["stamp_unuse", 0, 4],
    ]);
    expect([l.stamp.used, l.stamp.usedAt]).toEqual([false, null]);
  });

  it("moves to another card of the store, refusing while the count is above its maximum", async () => {
    const idx = await newStamp();
    ok(await call("update", { stampIdx: idx, stamps: 7 }));
    fails(await call("update", { stampIdx: idx, cardIdx: onsiteCard }), 400, 1000, "cardIdx");
    fails(await call("update", { stampIdx: idx, cardIdx: onsiteCard, stamps: 4 }), 400, 1000, "stamps");
    expect(await ledgerOf(idx)).toMatchObject({ balance: 7, max: 10 });
    ok(await call("update", { stampIdx: idx, cardIdx: onsiteCard, stamps: 3 }));
    const l = await ledgerOf(idx);
    expect([l.stamp.cardId, l.balance, l.max]).toEqual([onsiteCard, 3, 3]);
    ok(await call("validate", { stampIdx: idx }), expect.objectContaining({ cardIdx: onsiteCard, maxStamps: 3, onsiteYn: "Y" }));
    fails(await call("add", { stampIdx: idx }), 200, 2006);
  });

  it("changes the texts, dates and flags given, clears with empty values, keeps the rest", async () => {
    const idx = await newStamp({ userId: "member-1", userNm: "Lee", memo: "first", userEtc1: "gold" });
    await s.db.prisma.stamp.update({ where: { id: idx }, data: { pinHash: "some-hash" } });
    ok(await call("update", { stampIdx: idx, memo: "", userNm: "Park", userEml: "park@example.com", endYmd: day(100), resetPinYn: "N" }));
    expect((await ledgerOf(idx)).stamp.pinHash).toBe("some-hash");
    ok(await call("update", { stampIdx: idx, resetPinYn: "Y", userId: "" }));
    const v = (await call("validate", { stampIdx: idx })).result;
    expect(v).toMatchObject({
      userId: "member-1",
      userNm: "Park",
      userEml: "park@example.com",
      memo: null,
      userEtc1: "gold",
      endYmd: day(100),
      strtYmd: day(-1),
    });
    expect((await ledgerOf(idx)).stamp.pinHash).toBeNull();
    expect((await ledgerOf(idx)).rows).toEqual([]);
  });

  it("a domain of its own needs Premium: 4030 on Personal, accepted on Business; the server's own is fine", async () => {
    const idx = await newStamp();
    fails(await call("update", { stampIdx: idx, domain: "https://stamp.example.com" }), 403, 4030, "premium");
    fails(await call("create", { cardIdx: card, ...period(), domain: "https://stamp.example.com" }), 403, 4030, "premium");
    ok(await call("update", { stampIdx: idx, domain: `${s.config.publicBaseUrl}/` }));
    expect((await ledgerOf(idx)).stamp.domain).toBeNull();

    const theirs = await newStamp({ cardIdx: otherCard, domain: "https://stamp.example.com/" }, other);
    const v = (await other("validate", { stampIdx: theirs })).result;
    expect(v.domain).toBe("https://stamp.example.com");
    expect(v.stampUrl).toMatch(/^https:\/\/stamp\.example\.com\/stamp\/[A-Za-z0-9_-]{22}$/);
    ok(await other("update", { stampIdx: theirs, domain: "" }));
    expect((await other("validate", { stampIdx: theirs })).result.domain).toBe(s.config.publicBaseUrl);
  });
});

describe("delete", () => {
  it("removes the stamp for the API; its account and rows stay, marked as a deleted stamp's", async () => {
    const idx = await newStamp({ userNm: "Choi", userPhnno: "010-5555-0000" });
    await fill(idx, 2);
    ok(await call("delete", { stampIdx: idx }));
    for (const endpoint of ["validate", "add", "update", "redeem", "delete"]) fails(await call(endpoint, { stampIdx: idx }), 200, 2001);
    const l = await ledgerOf(idx);
    expect(l.stamp.deletedAt).toBeInstanceOf(Date);
    expect([l.stamp.userName, l.stamp.userPhone]).toEqual([null, null]);
    expect([l.balance, l.rows.length]).toEqual([2, 2]);
    expect(await s.services.verify()).toMatchObject({ ok: true });
  });
});

describe("transport", () => {
  it("accepts form bodies, JSON numbers as strings, and the query string on GET and DELETE", async () => {
    const created = await call("create", { cardIdx: String(card), ...period(), userNm: "Form" }, { form: true });
    ok(created, expect.stringMatching(/^\d+$/));
    const idx = created.result;
    ok(await call("add", { stampIdx: idx }, { form: true }));
    ok(await call("add", { stampIdx: String(idx) }));
    ok(await call("update", { stampIdx: idx, memo: "by form" }, { form: true }));
    ok(await call("validate", { stampIdx: idx }), expect.objectContaining({ stamps: 2, userNm: "Form", memo: "by form" }));
    const res = await fetch(`${s.url}/api/stamp/v1/delete?stampIdx=${idx}`, {
      method: "DELETE",
      headers: { authorization: await keyHeader(), "content-type": "application/json" },
    });
    expect(await res.json()).toEqual({ code: 0, message: "", result: null });
  });
});

describe("concurrency", () => {
  it("thirty simultaneous adds on a ten-stamp card leave exactly ten stamps and ten rows", async () => {
    const idx = await newStamp();
    const answers = await Promise.all(Array.from({ length: 30 }, () => call("add", { stampIdx: idx })));
    expect(answers.filter((a) => a.code === 0)).toHaveLength(10);
    expect(answers.filter((a) => a.code === 2006)).toHaveLength(20);
    const l = await ledgerOf(idx);
    expect(l.balance).toBe(10);
    expect(l.rows).toEqual(Array.from({ length: 10 }, (_, i) => ["stamp_add", 1, i + 1]));
  });

  it("simultaneous redeems of a full stamp redeem it once", async () => {
    const idx = await newStamp();
    await fill(idx, 10);
    const answers = await Promise.all(Array.from({ length: 10 }, () => call("redeem", { stampIdx: idx })));
    expect(answers.filter((a) => a.code === 0)).toHaveLength(1);
    expect(answers.filter((a) => a.code === 2005)).toHaveLength(9);
    expect((await ledgerOf(idx)).rows.filter((r) => r[0] === "stamp_use")).toHaveLength(1);
  });

  it("simultaneous adds and removes while the stamp moves between cards: nothing lost, maximum always the card's", async () => {
    const big = (await s.services.cards.create({ store: store.id, name: "Big", title: "20 stamps", maxStamps: 20 })).cardIdx;
    const idx = await newStamp();
    ok(await call("update", { stampIdx: idx, stamps: 5 }));
    const calls = Array.from({ length: 40 }, (_, i) =>
      i % 5 === 0
        ? call("update", { stampIdx: idx, cardIdx: i % 10 === 0 ? big : card, memo: `move ${i}` })
        : call(i % 2 ? "add" : "remove", { stampIdx: idx }),
    );
    const answers = await Promise.all(calls);
    // Moving to the ten-stamp card is refused (1000) while the count is above ten; an add may find
    // the card full and a remove find it empty; nothing else may happen (no 2001 above all).
    const allowed = (i: number) => (i % 5 === 0 ? [0, 1000] : i % 2 ? [0, 2006] : [0, 2007]);
    expect(answers.filter((a, i) => !allowed(i).includes(a.code))).toEqual([]);
    const l = await ledgerOf(idx);
    const changes = answers.filter((a, i) => a.code === 0 && i % 5 !== 0).length;
    expect(l.rows.filter((r) => r[0] !== "stamp_set")).toHaveLength(changes);
    expect(l.rows.reduce((sum, r) => sum + (r[1] as number), 0)).toBe(l.balance);
    expect(l.max).toBe(l.stamp.cardId === big ? 20 : 10);
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
  });

  it("simultaneous adds, removes, sets and a delete keep the count equal to its rows", async () => {
    const idx = await newStamp();
    const calls = Array.from({ length: 40 }, (_, i) =>
      i === 35
        ? call("delete", { stampIdx: idx })
        : i % 7 === 0
          ? call("update", { stampIdx: idx, stamps: i % 10 })
          : i % 3 === 0
            ? call("remove", { stampIdx: idx })
            : call("add", { stampIdx: idx }),
    );
    const answers = await Promise.all(calls);
    expect(answers.filter((a) => ![0, 2001, 2006, 2007].includes(a.code))).toEqual([]);
    const l = await ledgerOf(idx);
    expect(l.rows.reduce((sum, r) => sum + (r[1] as number), 0)).toBe(l.balance);
    const countChanges = answers.filter((a, i) => a.code === 0 && i !== 35 && i % 7 !== 0).length;
    expect(l.rows.filter((r) => r[0] === "stamp_add" || r[0] === "stamp_remove")).toHaveLength(countChanges);
    expect(l.stamp.deletedAt).toBeInstanceOf(Date);
    expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
  });
});
