// The embedded database's owner under faults, with the real `stampd serve` processes: a stalled
// owner keeps the database however long it stalls, and a dead owner's database is free at once.
import { afterEach, describe, expect, it } from "vitest";
import { readdirSync, utimesSync } from "node:fs";
import path from "node:path";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";
import { stampd } from "./support/cli.js";

/**
 * Makes every file under `dir` look untouched for an hour: what a lock judged by a file's age (as
 * the one before the kernel lock was, stale after 15 s) would read as an owner long dead. The
 * stall itself is real (SIGSTOP); only its length is shown by the clock the files carry.
 */
function ageFiles(dir: string): void {
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    utimesSync(path.join(entry.parentPath, entry.name), hourAgo, hourAgo);
  }
  utimesSync(dir, hourAgo, hourAgo);
}

const servers: ServerProcess[] = [];
afterEach(async () => {
  // Later servers ran on the first one's directory, which the first one's cleanup removes.
  for (const s of servers.splice(0).reverse()) {
    if (s.process.pid) s.process.kill("SIGCONT");
    await s.cleanup();
  }
});

async function serve(database?: ServerProcess["database"]): Promise<ServerProcess> {
  const s = await spawnServer({}, { database });
  servers.push(s);
  return s;
}

describe.skipIf(process.env.DATABASE_URL)("embedded database ownership", () => {
  it(
    "a stopped server keeps its database: a CLI command and a second server are refused, not handed it",
    async () => {
      const owner = await serve();
      const env = owner.database.env;
      owner.process.kill("SIGSTOP");
      // Stalled for what looks like an hour (as a paused container or frozen VM is).
      ageFiles(env.DATA_DIR!);

      const command = await stampd(["store", "create", "--name", "Taken while stopped"], env);
      expect(command.code).toBe(1);
      expect(command.stderr).toMatch(/server holding the embedded database \(pid \d+, .*\) did not answer within 5 s; nothing was changed/);

      await expect(spawnServer({}, { database: owner.database })).rejects.toThrow(/in use by another stampd process/);

      // Running again, the owner still has its database and serves the commands.
      owner.process.kill("SIGCONT");
      const created = await stampd(["store", "create", "--name", "After the pause", "--json"], env);
      expect(created.code).toBe(0);
      const list = await stampd(["store", "list", "--json"], env);
      expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(["Demo store", "After the pause"]);
    },
    SLOW_START_MS * 2 + 30_000,
  );

  it(
    "after a kill -9 a new server starts at once on the same directory",
    async () => {
      const crashed = await serve();
      await crashed.signal("SIGKILL");
      const restarted = await serve(crashed.database);
      const res = await fetch(`${restarted.url}/readyz`);
      expect(res.status).toBe(200);
      // The restarted server owns the database: commands go through it.
      const list = await stampd(["store", "list", "--json"], crashed.database.env);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)).toHaveLength(1);
    },
    SLOW_START_MS * 2,
  );
});
