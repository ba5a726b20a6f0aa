// The operator's side of the stamp API (operations.md, "Command line"): `stampd apikey` and
// `stampd card`, plan and limit overrides with `store set`, and `stampd verify` checking every
// stamp's count against its rows. The CLI runs (through its main(), in this process) next to the
// running server: on the embedded database it asks the server, on PostgreSQL it opens the database
// itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./support/server.js";
import { stampd as runCli } from "./support/cli.js";
import { dayFromToday, stampClient } from "./support/stamp-client.js";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ ADMIN_TOKEN: "admin-token-for-tests-0123" });
});
afterAll(() => s?.stop());

/** Runs `stampd <args>` on the server's database; `json` is the parsed output of a --json command. */
async function stampd(...args: string[]): Promise<{ code: number | null; out: string; err: string; json: any }> {
  const r = await runCli(args, s.database.env);
  return { code: r.code, out: r.stdout, err: r.stderr, json: args.includes("--json") && r.stdout ? JSON.parse(r.stdout) : undefined };
}

const period = () => ({ strtYmd: dayFromToday(0, s.config.TIME_ZONE), endYmd: dayFromToday(30, s.config.TIME_ZONE) });

describe("stampd apikey, card and store set", () => {
  it("issues a key once and a card, which work on the stamp API; revoking and a lower plan stop it", async () => {
    const store = await stampd("store", "create", "--name", "CLI cafe", "--json");
    expect(store.code).toBe(0);
    const storeId = String(store.json.id);
    expect(store.json).toMatchObject({ plan: "free", limit_minute: null });

    const key = await stampd("apikey", "create", "--store", storeId, "--plan", "personal", "--label", "pos", "--json");
    expect(key.code).toBe(0);
    expect(key.json).toMatchObject({
      id: expect.any(Number),
      key: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      plan: "personal",
      label: "pos",
    });

    const card = await stampd(
      "card",
      "create",
      "--store",
      storeId,
      "--name",
      "Americano",
      "--title",
      "10 for 1",
      "--max-stamps",
      "10",
      "--url",
      "https://shop.example",
      "--onsite-pwd",
      "4321",
      "--json",
    );
    expect(card.code).toBe(0);
    expect(card.json).toMatchObject({
      cardIdx: expect.any(Number),
      cardNm: "Americano",
      cardTtl: "10 for 1",
      maxStamps: 10,
      onsiteYn: "Y",
    });

    const call = stampClient(s, key.json.key);
    const created = await call("create", { cardIdx: card.json.cardIdx, ...period() });
    expect(created.code).toBe(0);
    const v = await call("validate", { stampIdx: created.result });
    expect(v.result).toMatchObject({ cardNm: "Americano", url: "https://shop.example", onsiteYn: "Y", onsitePwd: "4321" });

    const keys = await stampd("apikey", "list", "--store", storeId, "--json");
    expect(keys.json).toEqual([expect.objectContaining({ id: key.json.id, prefix: key.json.key.slice(0, 8), revoked_at: null })]);
    expect(keys.out).not.toContain(key.json.key);
    const cards = await stampd("card", "list", "--store", storeId, "--json");
    expect(cards.json.map((c: any) => c.cardIdx)).toEqual([card.json.cardIdx]);
    expect(cards.out).not.toContain("4321");

    expect((await stampd("store", "set", "--id", storeId, "--plan", "free")).code).toBe(0);
    expect((await call("validate", { stampIdx: created.result })).code).toBe(4030);
    expect((await stampd("store", "set", "--id", storeId, "--plan", "enterprise", "--limit-minute", "2", "--json")).json).toMatchObject({
      plan: "enterprise",
      limit_minute: 2,
    });
    expect((await call("validate", { stampIdx: created.result })).headers.get("x-ratelimit-limit")).toBe("2");
    expect((await stampd("store", "set", "--id", storeId, "--limit-minute", "default", "--json")).json).toMatchObject({
      limit_minute: null,
    });

    const revoked = await stampd("apikey", "revoke", "--key-id", String(key.json.id), "--json");
    expect(revoked.json.revoked_at).toEqual(expect.any(String));
    expect((await call("validate", { stampIdx: created.result })).code).toBe(4010);
  });

  it("prints the key with a warning that it is shown once", async () => {
    const store = await s.services.stores.create({ name: "Plain output" });
    const r = await stampd("apikey", "create", "--store", String(store.id));
    expect(r.out).toMatch(/^key: [A-Za-z0-9_-]{32}$/m);
    expect(r.out).toContain("(key is shown once: keep it now)");
  });

  it.each([
    [["card", "create", "--store", "1", "--name", "x", "--title", "t", "--max-stamps", "0"], "--max-stamps"],
    [["card", "create", "--store", "1", "--name", "x", "--title", "t", "--max-stamps", "5", "--url", "javascript:alert(1)"], "--url"],
    [["card", "create", "--store", "999", "--name", "x", "--title", "t", "--max-stamps", "5"], "store 999 not found"],
    [["card", "create", "--store", "1", "--name", "x", "--max-stamps", "5"], "--title"],
    [["apikey", "create", "--store", "1", "--plan", "gold"], "gold"],
    [["apikey", "revoke", "--key-id", "999"], "API key 999 not found"],
    [["store", "set", "--id", "1", "--limit-day", "0"], "--limit-day"],
  ])("bad arguments: one line, exit code 2, nothing written (%j)", async (args, says) => {
    const before = [await s.db.prisma.card.count(), await s.db.prisma.apiKey.count()];
    const r = await stampd(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(says);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect([await s.db.prisma.card.count(), await s.db.prisma.apiKey.count()]).toEqual(before);
  });
});

describe("the admin API serves the same operations", () => {
  it("creates a key and a card over HTTP with the bearer token", async () => {
    const store = await s.services.stores.create({ name: "Admin cafe" });
    const post = (path: string, body: unknown) =>
      fetch(`${s.url}${path}`, {
        method: "POST",
        headers: { authorization: "Bearer admin-token-for-tests-0123", "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const key = await (await post("/admin/api-keys", { store: store.id, plan: "premium" })).json();
    expect(key).toMatchObject({ store: store.id, plan: "premium", key: expect.any(String) });
    const card = await (await post("/admin/cards", { store: store.id, name: "Tea", title: "5 teas", maxStamps: 5 })).json();
    expect(card).toMatchObject({ cardIdx: expect.any(Number), store: store.id, maxStamps: 5, onsiteYn: "N" });
    const bad = await post("/admin/cards", { store: store.id, name: "Tea", title: "5 teas", maxStamps: 0 });
    expect(bad.status).toBe(400);
  });
});

describe("stampd verify checks every stamp's count against its rows", () => {
  it("passes on a clean ledger, then names a stamp whose count or used flag was changed behind the ledger's back", async () => {
    const store = await s.services.stores.create({ name: "Audit cafe" });
    const { key } = await s.services.apiKeys.create({ store: store.id, plan: "personal" });
    const card = await s.services.cards.create({ store: store.id, name: "A", title: "t", maxStamps: 3 });
    const call = stampClient(s, key);
    const idx = Number((await call("create", { cardIdx: card.cardIdx, ...period() })).result);
    for (let i = 0; i < 3; i++) await call("add", { stampIdx: idx });
    await call("redeem", { stampIdx: idx });

    const clean = await stampd("verify", "--json");
    expect(clean.code).toBe(0);
    expect(clean.json).toMatchObject({ ok: true, problems: [] });

    const { accountId } = await s.db.prisma.stamp.findUniqueOrThrow({ where: { id: idx } });
    await s.db.prisma.$executeRawUnsafe(`UPDATE ledger_account SET balance = 2 WHERE id = ${accountId}`);
    await s.db.prisma.$executeRawUnsafe(`UPDATE stamp SET used = false WHERE id = ${idx}`);
    try {
      const dirty = await stampd("verify", "--json");
      expect(dirty.code).toBe(1);
      expect(dirty.json.ok).toBe(false);
      expect(dirty.json.problems).toEqual(
        expect.arrayContaining([
          `stamp ${idx}: count 2 but its rows sum to 3`,
          `stamp ${idx}: not used but its last use/unuse row is stamp_use`,
        ]),
      );
    } finally {
      await s.db.prisma.$executeRawUnsafe(`UPDATE ledger_account SET balance = 3 WHERE id = ${accountId}`);
      await s.db.prisma.$executeRawUnsafe(`UPDATE stamp SET used = true WHERE id = ${idx}`);
    }
    expect((await s.services.verify()).ok).toBe(true);
  });
});
