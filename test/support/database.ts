// A fresh database for one test file: a temporary PGlite directory, or, when DATABASE_URL is set,
// a new database on that PostgreSQL server (dropped afterwards).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export interface TestDatabase {
  /** Environment for loadConfig(): DATABASE_URL or DATA_DIR. */
  env: Record<string, string>;
  kind: "postgres" | "pglite";
  drop(): Promise<void>;
}

export async function freshDatabase(): Promise<TestDatabase> {
  const server = process.env.DATABASE_URL;
  if (!server) {
    const dir = mkdtempSync(path.join(tmpdir(), "stampd-test-"));
    return { kind: "pglite", env: { DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `stampd_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    kind: "postgres",
    env: { DATABASE_URL: url.toString() },
    async drop() {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
