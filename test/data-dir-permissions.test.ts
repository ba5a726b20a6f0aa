// DATA_DIR is private to the server's user (0700 directories, 0600 files): on a first start and on
// every start of an existing directory, whatever the umask the server was started with.
import { afterEach, describe, expect, it } from "vitest";
import { chmodSync, lstatSync, readdirSync } from "node:fs";
import path from "node:path";
import { freshDatabase, type TestDatabase } from "./support/database.js";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";

const servers: ServerProcess[] = [];
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.cleanup();
  for (const d of databases.splice(0)) await d.drop();
});

/** Every entry below `dir` (itself included) with its permission bits, e.g. "pglite/base 755". */
function modes(dir: string, rel = "."): string[] {
  const mode = (lstatSync(path.join(dir, rel)).mode & 0o777).toString(8);
  const entry = `${rel} ${mode}`;
  if (!lstatSync(path.join(dir, rel)).isDirectory()) return [entry];
  return [entry, ...readdirSync(path.join(dir, rel)).flatMap((name) => modes(dir, path.join(rel, name)))];
}

/** The entries of `dir` that another local user could read or write. */
const open = (dir: string) => modes(dir).filter((e) => !/ (700|600)$/.test(e));

/** Starts the real server with the given umask (a child inherits its parent's). */
async function serveWithUmask(umask: number, database?: ServerProcess["database"]): Promise<ServerProcess> {
  const previous = process.umask(umask);
  try {
    const s = await spawnServer({}, { database });
    servers.push(s);
    return s;
  } finally {
    process.umask(previous);
  }
}

describe.skipIf(process.env.DATABASE_URL)("DATA_DIR permissions", () => {
  it(
    "a first start under umask 000 in a world-writable DATA_DIR leaves nothing readable by others",
    async () => {
      const database = await freshDatabase();
      databases.push(database);
      const dir = database.env.DATA_DIR!;
      chmodSync(dir, 0o777);
      // The migrations and the demo store have written the tables and the WAL once it listens.
      await serveWithUmask(0o000, database);
      expect(modes(dir).length).toBeGreaterThan(100);
      expect(open(dir)).toEqual([]);
    },
    SLOW_START_MS * 2,
  );

  it(
    "a start on an existing directory with wide modes makes it private again",
    async () => {
      const first = await serveWithUmask(0o077);
      const dir = first.database.env.DATA_DIR!;
      expect(await first.signal("SIGTERM")).toBe(0);
      // As an older version (or a copy restored without care) left it.
      for (const entry of modes(dir)) {
        const [rel] = entry.split(" ");
        const p = path.join(dir, rel!);
        chmodSync(p, lstatSync(p).isDirectory() ? 0o777 : 0o666);
      }
      expect(open(dir).length).toBeGreaterThan(100);

      await serveWithUmask(0o022, first.database);
      expect(open(dir)).toEqual([]);
    },
    SLOW_START_MS * 3,
  );
});
