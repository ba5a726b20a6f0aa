// Shutdown with statements that cannot finish: calls waiting on a row lock held elsewhere. Within
// the grace period they are cancelled, roll back and get an answer; nothing they tried to write
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

describe.skipIf(!process.env.DATABASE_URL)("on SIGTERM with calls waiting on a row lock", () => {
  it(
    "cancels them within the grace period: each gets an answer, none commits later",
    async () => {
      // Five batches in flight (group commit), so that each save below runs in a session of its own.
      server = await spawnServer({ ADMIN_TOKEN, GROUP_COMMIT_IN_FLIGHT: "5" });
      const { url } = server;
      const store = await createStore(url, ADMIN_TOKEN);
      const save = async () => {
        const body = new URLSearchParams({
          id: String(store.id),
          auth_code: store.auth_code,
          device: "openapi",
          number: "010-3333-4444",
          count: "1",
        });
        const res = await fetch(`${url}/api/open/save`, { method: "POST", body });
        return (await res.json()) as { result: boolean; code?: string };
      };
      expect((await save()).result).toBe(true);

      /** The server's sessions on the database that match `condition`. */
      const count = async (condition: string) => {
        const watcher = new pg.Client({ connectionString: server!.database.env.DATABASE_URL });
        await watcher.connect();
        try {
          const sql = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1) AND ${condition}`;
          return (await watcher.query(sql, [(locker as unknown as { processID: number }).processID])).rows[0].n as number;
        } finally {
          await watcher.end();
        }
      };
      // Another session holds the member's account row.
      locker = new pg.Client({ connectionString: server.database.env.DATABASE_URL });
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query("SELECT 1 FROM ledger_account FOR UPDATE");
      // Counted on a connection of its own: in the locker's transaction the activity view stays as first read.
      const lockWaits = () => count("wait_event_type = 'Lock'");
      // One at a time, each once the one before waits: sent together, they would share a batch.
      const waiting: Promise<{ result: boolean; code?: string }>[] = [];
      for (let n = 1; n <= 5; n++) {
        waiting.push(save().catch((err: Error) => ({ result: false, code: `no answer: ${err.message}` })));
        await until(async () => (await lockWaits()) === n);
      }

      const started = Date.now();
      const code = await server.signal("SIGTERM");
      const answers = await Promise.all(waiting);
      expect(answers).toEqual(answers.map(() => ({ result: false, code: "INTERNAL", msg: expect.any(String) })));
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);

      // Released now: nothing of the server's may still be waiting to commit.
      await locker.query("COMMIT");
      await until(async () => {
        const { rows } = await locker!.query(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
        return Number(rows[0].n) === 0;
      });
      const { rows } = await locker.query("SELECT count(*)::int AS n FROM ledger_entry WHERE store_id = $1", [store.id]);
      expect(rows[0].n).toBe(1);
    },
    SLOW_START_MS + 30_000,
  );
});
