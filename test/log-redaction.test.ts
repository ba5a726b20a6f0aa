// No log line carries a statement's parameters or a secret in a URL, read from the real output of
// `stampd serve` after requests that fail inside the database. The failure is injected with a
// trigger that rejects every new member (its detail quoting the phone, as a unique violation's does).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/platform/config.js";
import { openDatabase } from "../src/platform/db/client.js";
import { createStore } from "./support/admin.js";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";
import { freshDatabase, type TestDatabase } from "./support/database.js";

const ADMIN_TOKEN = "admin-token-for-log-redaction";
const PHONE = { dashed: "010-7531-8642", digits: "01075318642", national: "1075318642", masked: "010****8642" };
const URL_SECRET = "url-secret-never-logged";
const PAGE_CODE = "pagecode-never-logged";

let database: TestDatabase;
let server: ServerProcess | undefined;
let store: { id: number; auth_code: string };
let output: string;
let errorLines: Record<string, unknown>[];

async function injectFailure(env: Record<string, string>): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: "silent", ...env });
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 1 });
  try {
    await db.session((s) =>
      s.exec(`
        CREATE FUNCTION test_reject_member() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure' USING DETAIL = 'Key (phone)=(' || NEW.phone || ') rejected'; END $$;
        CREATE TRIGGER test_reject_member BEFORE INSERT ON member FOR EACH ROW EXECUTE FUNCTION test_reject_member();`),
    );
  } finally {
    await db.close();
  }
}

beforeAll(
  async () => {
    database = await freshDatabase();
    // A first run migrates and creates the store; the embedded database is then free to change.
    const first = await spawnServer({ ADMIN_TOKEN }, { database });
    store = await createStore(first.url, ADMIN_TOKEN);
    expect(await first.signal("SIGTERM")).toBe(0);
    await injectFailure(database.env);

    server = await spawnServer({ ADMIN_TOKEN }, { database });
    const creds = { id: String(store.id), auth_code: store.auth_code, device: "openapi" };
    for (const body of [
      new URLSearchParams({ ...creds, number: PHONE.dashed, count: "1" }),
      new URLSearchParams({ ...creds, number: PHONE.digits, count: "1" }),
    ]) {
      const answer = (await (await fetch(`${server.url}/api/open/save`, { method: "POST", body })).json()) as { code: string };
      expect(answer.code).toBe("INTERNAL");
    }
    for (const name of ["auth_code[]", "authcode", "auth-code", "AuthCode", "x_api_key", "onsite-pwd"]) {
      await (await fetch(`${server.url}/api/open/balance?id=${store.id}&${encodeURIComponent(name)}=${URL_SECRET}`)).arrayBuffer();
    }
    await (await fetch(`${server.url}/stamp/${PAGE_CODE}?x=1`)).arrayBuffer();
    await (
      await fetch(`${server.url}/stamp/${PAGE_CODE}/pin`, { method: "POST", body: new URLSearchParams({ pin: "1234" }) })
    ).arrayBuffer();

    expect(await server.signal("SIGTERM")).toBe(0);
    output = server.stdout();
    const lines = output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    errorLines = lines.filter((l) => (l.level as number) >= 50);
  },
  SLOW_START_MS * 2 + 30_000,
);

afterAll(async () => {
  await server?.cleanup();
  await database?.drop();
});

describe("error log lines", () => {
  it("name the failure but carry no statement, parameter or detail", () => {
    expect(errorLines.length).toBeGreaterThanOrEqual(2);
    for (const line of errorLines) {
      const err = line.err as Record<string, unknown>;
      expect(err.message).toContain("injected failure");
      expect(Object.keys(err).sort()).toEqual(expect.arrayContaining(["message", "stack", "type"]));
      for (const key of ["query", "params", "detail", "where", "meta"]) expect(err).not.toHaveProperty(key);
    }
    for (const form of [PHONE.dashed, PHONE.digits, PHONE.national, store.auth_code]) expect(output).not.toContain(form);
  });
});

describe("logged URLs", () => {
  it("hide a secret parameter whatever its spelling, and a stamp page's code", () => {
    expect(output).not.toContain(URL_SECRET);
    expect(output).not.toContain(PAGE_CODE);
    expect(output).toContain("/stamp/[redacted]");
  });
});
