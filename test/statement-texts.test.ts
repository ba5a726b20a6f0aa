// The statement texts the server sends are fixed by its code, not by its callers (issue 13, item
// 7): PostgreSQL keeps each prepared statement per connection, so a text per combination of a
// call's fields let a caller grow the server's memory at will (1,024 combinations of stamp
// `update` took the backends from 197 MiB to 1,427 MiB). Over real HTTP, on the embedded database
// or on PostgreSQL when DATABASE_URL is set, where the connection's prepared statements are read too.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Prisma } from "../src/generated/prisma/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { dayFromToday, stampClient, type Params, type StampCall } from "./support/stamp-client.js";

let s: TestServer;
let call: StampCall;
let cardIdx: number;
/** Every statement text the services sent through the ledger's driver path, per call kind. */
const texts: string[] = [];

beforeAll(async () => {
  // One connection on PostgreSQL, so that its prepared statements are all the server's.
  s = await startTestServer({ DB_POOL_SIZE: "1" });
  const store = await s.services.stores.create({ name: "Cafe", limitMinute: 1_000_000, limitHour: 1_000_000, limitDay: 1_000_000 });
  call = stampClient(s, (await s.services.apiKeys.create({ store: store.id, plan: "premium" })).key);
  cardIdx = (await s.services.cards.create({ store: store.id, name: "Latte", title: "10 stamps", maxStamps: 10 })).cardIdx;
  const query = s.db.query.bind(s.db);
  s.db.query = <T>(statement: Prisma.Sql) => {
    texts.push(statement.text);
    return query<T>(statement);
  };
});
afterAll(() => s?.stop());

/** Every subset of `fields` (2^n), as parameters. */
function combinations(fields: Params): Params[] {
  const names = Object.keys(fields);
  return Array.from({ length: 2 ** names.length }, (_, bits) =>
    Object.fromEntries(names.filter((_, i) => bits & (1 << i)).map((n) => [n, fields[n]!])),
  );
}

/** Distinct texts sent while `run` ran. */
async function textsOf(run: () => Promise<void>): Promise<Set<string>> {
  const from = texts.length;
  await run();
  return new Set(texts.slice(from));
}

/** Prepared statements of the server's one PostgreSQL connection; null on PGlite (it prepares none by name). */
async function preparedStatements(): Promise<number | null> {
  if (s.db.kind !== "postgres") return null;
  return s.db.session(async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements"))[0]!.n);
}

const FIELDS: Params = {
  memo: "m",
  userNm: "Kim",
  userPhnno: "010-1234-5678",
  userEml: "kim@example.com",
  activeYn: "Y",
  domain: "https://stamps.example",
};

it("create and update with every combination of fields each send one statement text", async () => {
  const day = (n: number) => dayFromToday(n, s.config.TIME_ZONE);
  const base = { cardIdx, strtYmd: day(-1), endYmd: day(30) };
  // Warm up: the one text of each, and of the stamp API's other statements the calls may use.
  const first = await call("create", base);
  expect(first.code).toBe(0);
  expect((await call("update", { stampIdx: first.result, memo: "x" })).code).toBe(0);
  const prepared = await preparedStatements();

  const creates = await textsOf(async () => {
    for (const fields of combinations(FIELDS)) expect((await call("create", { ...base, ...fields })).code).toBe(0);
  });
  const some = Object.fromEntries(["memo", "userNm", "userEml", "activeYn", "domain"].map((k) => [k, FIELDS[k] ?? null]));
  const updateFields: Params = { ...some, stamps: 3, useYn: "N", resetPinYn: "Y" };
  const updates = await textsOf(async () => {
    for (const fields of combinations(updateFields)) expect((await call("update", { stampIdx: first.result, ...fields })).code).toBe(0);
  });
  expect(creates.size).toBe(1);
  expect(updates.size).toBe(1);
  // 64 creates and 256 updates later, the connection holds no statement more than before.
  if (prepared !== null) expect(await preparedStatements()).toBe(prepared);
});
