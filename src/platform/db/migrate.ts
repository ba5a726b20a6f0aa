// Applies prisma/migrations/* the way `prisma migrate deploy` does, without Prisma's native schema
// engine: each pending migration runs in its own transaction and is recorded in
// `_prisma_migrations` with the same checksum Prisma computes, so both tools agree on what is
// applied. A session-level advisory lock makes concurrent starts apply each migration once.
import { randomUUID } from "node:crypto";
import { digest } from "../secrets.js";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Database, SqlSession } from "./client.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));

/** Arbitrary constant shared by every stampd instance: "stampd" in ASCII. */
const MIGRATION_LOCK_KEY = 0x7374616d7064;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: digest(sql) };
    });
}

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrate(db: Database, migrations = readMigrations()): Promise<string[]> {
  return db.session(async (s) => {
    await s.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await s.exec(CREATE_MIGRATIONS_TABLE);
      const done = await appliedMigrations(s);
      const applied: string[] = [];
      for (const m of migrations) {
        const previous = done.get(m.name);
        if (previous !== undefined) {
          if (previous !== m.checksum) {
            throw new MigrationError(`migration ${m.name} was changed after it was applied`);
          }
          continue;
        }
        await apply(s, m);
        applied.push(m.name);
      }
      return applied;
    } finally {
      await s.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  });
}

/** Names of migrations in `migrations` not yet applied (for /readyz). */
export async function pendingMigrations(db: Database, migrations = readMigrations()): Promise<string[]> {
  return db.session(async (s) => {
    const exists = await s.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
    const done = exists[0]?.t ? await appliedMigrations(s) : new Map();
    return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
  });
}

async function appliedMigrations(s: SqlSession): Promise<Map<string, string>> {
  const rows = await s.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations"
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  return new Map(rows.map((r) => [r.migration_name, r.checksum]));
}

async function apply(s: SqlSession, m: Migration): Promise<void> {
  const id = randomUUID();
  await s.exec("BEGIN");
  try {
    await s.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)`, [id, m.checksum, m.name]);
    await s.exec(m.sql);
    await s.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
    await s.exec("COMMIT");
  } catch (err) {
    await s.exec("ROLLBACK");
    throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`);
  }
}
