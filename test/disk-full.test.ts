// A full disk under the real server: it answers fast with its internal-error code, reports
// not-ready, and serves again once space is back. The disk is a small tmpfs (mounting needs root):
// DATA_DIR itself on the embedded database, a tablespace holding the database on PostgreSQL.
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { createStore } from "./support/admin.js";
import { SLOW_START_MS, spawnServer, type ServerProcess } from "./support/process.js";
import type { TestDatabase } from "./support/database.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A tmpfs of `mib` MiB on a new directory, unmounted after the test. */
function tmpfs(mib: number, options = ""): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stampd-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mib}m${options}`, "tmpfs", dir]);
  cleanups.push(() => {
    execFileSync("umount", ["-l", dir]);
    rmdirSync(dir);
  });
  return dir;
}

/** Fills the file system of `dir` with one file until no space is left; returns its removal. */
function fill(dir: string): () => void {
  const file = path.join(dir, "filler");
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(1024 * 1024, 1);
  for (let size = chunk.length; size >= 512;) {
    try {
      writeSync(fd, chunk, 0, size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      size >>= 1;
    }
  }
  closeSync(fd);
  return () => rmSync(file);
}

async function save(url: string, store: { id: number; auth_code: string }, n: number): Promise<{ result: boolean; code?: string }> {
  const number = `010-5555-${String(n).padStart(4, "0")}`;
  const res = await fetch(`${url}/api/open/save`, {
    method: "POST",
    body: new URLSearchParams({ id: String(store.id), auth_code: store.auth_code, device: "openapi", number, count: "1" }),
    signal: AbortSignal.timeout(5_000),
  });
  return (await res.json()) as { result: boolean; code?: string };
}

const status = async (url: string, route: string) => (await fetch(`${url}${route}`, { signal: AbortSignal.timeout(5_000) })).status;

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 100));
}

/** Fills the disk, expects fast INTERNAL answers and 503 on /readyz, frees it and expects service again. */
async function fullDiskAndBack(server: ServerProcess, store: { id: number; auth_code: string }, disk: string): Promise<void> {
  expect((await save(server.url, store, 1)).result).toBe(true);
  const free = fill(disk);
  // Saves until one needs space it cannot get (on PostgreSQL, a page with room still takes rows).
  let answer = { result: true } as { result: boolean; code?: string };
  for (let n = 2; answer.result && n < 3000; n++) answer = await save(server.url, store, n);
  expect(answer).toMatchObject({ result: false, code: "INTERNAL" });
  expect(await status(server.url, "/healthz")).toBe(200);
  expect(await status(server.url, "/readyz")).toBe(503);

  free();
  await until(async () => (await status(server.url, "/readyz")) === 200);
  expect((await save(server.url, store, 9999)).result).toBe(true);
  expect(await server.signal("SIGTERM")).toBe(0);
}

describe.skipIf(process.getuid?.() !== 0)("a full disk", () => {
  it.skipIf(process.env.DATABASE_URL)(
    "embedded database: refused fast, not ready, serving again when space is back",
    async () => {
      const dataDir = tmpfs(160);
      const database: TestDatabase = { kind: "pglite", env: { DATA_DIR: dataDir }, drop: async () => {} };
      const server = await spawnServer({}, { database, ready: /auth_code: \S+/ });
      cleanups.push(() => server.cleanup());
      const [, id, code] = /id:\s+(\d+)\n\s+auth_code: (\S+)/.exec(server.stdout())!;
      await fullDiskAndBack(server, { id: Number(id), auth_code: code! }, dataDir);
    },
    SLOW_START_MS + 60_000,
  );

  it.skipIf(!process.env.DATABASE_URL)(
    "PostgreSQL with its tablespace full: refused, not ready, serving again when space is back",
    async () => {
      const uid = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
      const disk = tmpfs(48, `,uid=${uid},mode=0700`);
      const name = `stampd_full_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      cleanups.push(() => admin.end());
      await admin.query(`CREATE TABLESPACE ${name} LOCATION '${disk}'`);
      cleanups.push(async () => void (await admin.query(`DROP TABLESPACE IF EXISTS ${name}`)));
      await admin.query(`CREATE DATABASE ${name} TABLESPACE ${name}`);
      cleanups.push(async () => void (await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
      const url = new URL(process.env.DATABASE_URL!);
      url.pathname = `/${name}`;
      const database: TestDatabase = { kind: "postgres", env: { DATABASE_URL: url.toString() }, drop: async () => {} };

      const server = await spawnServer({ ADMIN_TOKEN: "admin-token-for-disk-full" }, { database });
      cleanups.push(() => server.cleanup());
      await fullDiskAndBack(server, await createStore(server.url, "admin-token-for-disk-full"), disk);
    },
    SLOW_START_MS + 120_000,
  );
});
