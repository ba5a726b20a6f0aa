// Hundreds of parallel saves and uses on one member over real HTTP: no update is lost, no use
// takes the balance below zero, and the balance, the history and `verify` agree exactly.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ DB_POOL_SIZE: "16" });
});
afterAll(() => s?.stop());

it("300 concurrent saves and uses on one member agree with the history and verify", async () => {
  const store = await s.services.stores.create({ name: "Busy", unit: "point" });
  const params = { id: store.id, auth_code: store.auth_code, device: "openapi", number: "010-3000-0001" };
  await s.form("/api/open/save", { ...params, count: 50 });

  const calls = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? { path: "use", count: 4 } : { path: "save", count: 1 + (i % 5) }));
  const answers = await Promise.all(calls.map((c) => s.form(`/api/open/${c.path}`, { ...params, count: c.count })));

  let expected = 50;
  for (const [i, a] of answers.entries()) {
    if (a.result) expected += calls[i]!.path === "save" ? calls[i]!.count : -calls[i]!.count;
    else expect(a.code).toBe("INSUFFICIENT_BALANCE");
  }
  expect(answers.every((a) => a.result === true || a.code === "INSUFFICIENT_BALANCE")).toBe(true);

  const balance = await s.form("/api/open/balance", params);
  expect(balance.total_count).toBe(expected);

  const history: any[] = [];
  for (let page = 1; ; page++) {
    const r = await s.form("/api/open/history", { ...params, page, count: 100 });
    history.push(...r.list);
    if (r.list.length < 100) break;
  }
  const succeeded = answers.filter((a) => a.result).length + 1;
  expect(history).toHaveLength(succeeded);
  expect(history.reduce((sum, row) => sum + (row.type === 0 ? row.count : -row.count), 0)).toBe(expected);
  expect(new Set(history.map((r) => r.id)).size).toBe(history.length);

  expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
});

it("concurrent first saves of one new phone register one member", async () => {
  const store = await s.services.stores.create({ name: "Opening day" });
  const params = { id: store.id, auth_code: store.auth_code, device: "openapi", number: "010-3000-0002", count: 1 };
  const answers = await Promise.all(Array.from({ length: 40 }, () => s.form("/api/open/save", params)));
  expect(answers.every((a) => a.result)).toBe(true);
  expect(new Set(answers.map((a) => a.member_no)).size).toBe(1);
  expect(answers.map((a) => a.total_point).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
});

it("400 concurrent transfers, saves and uses among four members never fail unexpectedly and stay consistent", async () => {
  const store = await s.services.stores.create({ name: "Friends", unit: "point" });
  const base = { id: store.id, auth_code: store.auth_code, device: "openapi" };
  const phones = ["010-3100-0001", "010-3100-0002", "010-3100-0003", "010-3100-0004"];
  for (const number of phones) await s.form("/api/open/save", { ...base, number, count: 20 });
  const pick = (i: number) => phones[(i * 7 + 3) % 4]!;
  const answers = await Promise.all(
    Array.from({ length: 400 }, (_, i) => {
      const number = pick(i);
      if (i % 5 === 0) return s.form("/api/open/save", { ...base, number, count: 2 });
      if (i % 5 === 1) return s.form("/api/open/use", { ...base, number, count: 3 });
      return s.form("/api/open/transfer", { ...base, number, to_number: pick(i + 1 + (i % 3)), count: 1 + (i % 4) });
    }),
  );
  const unexpected = answers.filter((a) => !a.result && a.code !== "INSUFFICIENT_BALANCE" && a.code !== "INVALID_PARAM");
  expect(unexpected).toEqual([]);
  let total = 0;
  for (const number of phones) total += (await s.form("/api/open/balance", { ...base, number })).total_count;
  const saves = answers.filter((a, i) => a.result && i % 5 === 0).length;
  const uses = answers.filter((a, i) => a.result && i % 5 === 1).length;
  expect(total).toBe(80 + 2 * saves - 3 * uses);
  expect(await s.services.verify()).toMatchObject({ ok: true, problems: [] });
});
