// A fresh database for one test file: a temporary PGlite directory, or, when DATABASE_URL is set,
// a new database on that PostgreSQL server (dropped afterwards). Both start as copies of the
// template that test/support/global-setup.ts migrated once for the whole run.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { adminQuery } from "./global-setup.js";

export interface TestDatabase {
  /** Environment for loadConfig(): DATABASE_URL or DATA_DIR. */
  env: Record<string, string>;
  kind: "postgres" | "pglite";
  drop(): Promise<void>;
}

export interface FreshDatabaseOptions {
  /** Start empty instead of migrated (for the tests of migrating itself). */
  empty?: boolean;
}

export async function freshDatabase(options: FreshDatabaseOptions = {}): Promise<TestDatabase> {
  const server = process.env.DATABASE_URL;
  const template = options.empty ? undefined : inject("databaseTemplate");
  if (!server) {
    const dir = mkdtempSync(path.join(tmpdir(), "stampd-test-"));
    if (template) cpSync(template, dir, { recursive: true });
    return { kind: "pglite", env: { DATA_DIR: dir }, drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) };
  }
  const name = `stampd_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(server, template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    kind: "postgres",
    env: { DATABASE_URL: url.toString() },
    drop: () => adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
