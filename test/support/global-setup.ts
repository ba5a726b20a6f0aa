// Migrates one template database per test run, which freshDatabase() then copies for each test
// file: a PGlite directory copied file by file, or `CREATE DATABASE … TEMPLATE` on PostgreSQL.
// Migrating costs seconds on a busy machine; copying costs a fraction of that.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../src/platform/db/client.js";
import { migrate } from "../../src/platform/db/migrate.js";
import { browserSkipReason } from "./browser.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated template: a DATA_DIR on PGlite, a database name on PostgreSQL. */
    databaseTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const skipped = browserSkipReason();
  if (skipped) process.stderr.write(`\n!!! ${skipped}\n\n`);
  const server = process.env.DATABASE_URL;
  if (!server) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "stampd-template-"));
    const db = await openDatabase({ dataDir, poolSize: 1 });
    await migrate(db);
    await db.close();
    project.provide("databaseTemplate", dataDir);
    return () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true }));
  }
  const name = `stampd_template_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(server, `CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir: "", poolSize: 1 });
  await migrate(db);
  await db.close();
  project.provide("databaseTemplate", name);
  return () => adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** How long CREATE and DROP DATABASE keep trying while the server cannot checkpoint. */
const CHECKPOINT_RETRY_MS = 30_000;

/**
 * Runs one statement on the server's maintenance connection (CREATE and DROP DATABASE). Both ask
 * for a checkpoint, which fails server-wide while any tablespace is full, as it is for a moment in
 * test/disk-full.test.ts; they are tried again until that test has freed its space.
 */
export async function adminQuery(server: string, sql: string): Promise<void> {
  const deadline = Date.now() + CHECKPOINT_RETRY_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    try {
      await client.query(sql);
      return;
    } catch (err) {
      if (!/checkpoint request failed/.test((err as Error).message) || Date.now() > deadline) throw err;
    } finally {
      await client.end();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
