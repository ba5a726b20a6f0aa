// Shutdown with statements that cannot finish: calls waiting on a row lock held elsewhere, and
// calls queued behind them for a batch (group commit). Within the grace period the statements are
// cancelled and roll back, and every call gets an answer; nothing any of them tried to write
// commits after the server has gone. PostgreSQL only: the embedded database is one connection,
// whose statements never wait on a lock (each runs to its end within milliseconds).
import { afterEach, describe, expect, it } from "vitest";
import pg from "pg";
import { createStore } from "./support/admin.js";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";

const ADMIN_TOKEN = "admin-token-for-shutdown-cancel";
let server: ServerProcess | undefined;
let locker: pg.Client | undefined;
afterEach(async () => {
  await locker?.end().catch(() => {});
  await server?.cleanup();
});

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

type Answer = { result: boolean; code?: string };

/** A save of the one member every test here uses; a call left without an answer says so. */
function saver(store: { id: number; auth_code: string }): () => Promise<Answer> {
  return async () => {
    const body = new URLSearchParams({
      id: String(store.id),
      auth_code: store.auth_code,
      device: "openapi",
      number: "010-3333-4444",
      count: "1",
    });
    try {
      return (await (await fetch(`${server!.url}/api/open/save`, { method: "POST", body })).json()) as Answer;
    } catch (err) {
      return { result: false, code: `no answer: ${(err as Error).message}` };
    }
  };
}

/** Another session holds every account row until `releaseAccounts`. */
async function holdAccounts(): Promise<void> {
  locker = new pg.Client({ connectionString: server!.database.env.DATABASE_URL });
  await locker.connect();
  await locker.query("BEGIN");
  await locker.query("SELECT 1 FROM ledger_account FOR UPDATE");
}

/** The server's sessions waiting on a lock, counted on a connection of their own: in the locker's transaction the activity view stays as first read. */
async function lockWaits(): Promise<number> {
  const watcher = new pg.Client({ connectionString: server!.database.env.DATABASE_URL });
  await watcher.connect();
  try {
    const sql = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1) AND wait_event_type = 'Lock'`;
    return (await watcher.query(sql, [(locker as unknown as { processID: number }).processID])).rows[0].n as number;
  } finally {
    await watcher.end();
  }
}

/** Releases the accounts once the server has gone, and answers how many ledger rows the store has. */
async function releaseAccounts(storeId: number): Promise<number> {
  await locker!.query("COMMIT");
  // Nothing of the server's may still be waiting to commit.
  await until(async () => {
    const { rows } = await locker!.query(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    return Number(rows[0].n) === 0;
  });
  const { rows } = await locker!.query("SELECT count(*)::int AS n FROM ledger_entry WHERE store_id = $1", [storeId]);
  return rows[0].n as number;
}

const refused = (answers: Answer[]) => answers.map(() => ({ result: false, code: "INTERNAL", msg: expect.any(String) }));

describe.skipIf(!process.env.DATABASE_URL)("on SIGTERM with calls waiting on a row lock", () => {
  it(
    "cancels them within the grace period and refuses the calls queued behind them: each gets an answer, none commits later",
    async () => {
      // Five batches in flight (group commit), so that each of the first five saves below runs in
      // a session of its own.
      server = await spawnServer({ ADMIN_TOKEN, GROUP_COMMIT_IN_FLIGHT: "5" });
      const store = await createStore(server.url, ADMIN_TOKEN);
      const save = saver(store);
      expect((await save()).result).toBe(true);
      await holdAccounts();
      // One at a time, each once the one before waits: sent together, they would share a batch.
      const waiting: Promise<Answer>[] = [];
      for (let n = 1; n <= 5; n++) {
        waiting.push(save());
        await until(async () => (await lockWaits()) === n);
      }
      // Every batch in flight waits on the lock, so these two wait in the server's queue.
      waiting.push(save(), save());
      const url = server.url;
      const queued = async () => Number(/^stampd_ledger_batch_waiting (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
      await until(async () => (await queued()) === 2);

      const started = Date.now();
      const code = await server.signal("SIGTERM");
      const answers = await Promise.all(waiting);
      expect(answers).toEqual(refused(answers));
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await releaseAccounts(store.id)).toBe(1);
    },
    SLOW_START_MS + 30_000,
  );
});
