// Opens the database: PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite under
// DATA_DIR. Both are reached through one Prisma client; `session` runs raw multi-statement SQL
// on one dedicated connection (migrations and their advisory lock need that).
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.js";

export type Prisma = PrismaClient;

/** One connection for raw SQL: a simple-protocol `exec` and a parameterised `query`. */
export interface SqlSession {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database {
  kind: "postgres" | "pglite";
  prisma: PrismaClient;
  /** Runs `fn` on one connection held for its whole duration. */
  session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /** Connections in use and idle (PostgreSQL only), for metrics. */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize: number;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.poolSize) : openPGlite(opts.dataDir);
}

function openPostgres(connectionString: string, max: number): Database {
  const pool = new pg.Pool({ connectionString, max });
  // An idle connection that the server drops must not crash the process.
  pool.on("error", () => {});
  // Named statements are prepared once per connection and their plans reused: the ledger's
  // single-statement changes are large CTEs whose planning would otherwise cost more than running them.
  const statementNameGenerator = (q: { sql: string }) => `stampd_${createHash("sha1").update(q.sql).digest("hex").slice(0, 20)}`;
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { statementNameGenerator }) });
  return {
    kind: "postgres",
    prisma,
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (sql) => void (await client.query(sql)),
          query: async (sql, params) => (await client.query(sql, params)).rows,
        });
      } finally {
        client.release();
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** The embedded database's files live here, below DATA_DIR. */
export function pgliteDir(dataDir: string): string {
  return path.resolve(dataDir, "pglite");
}

async function openPGlite(dataDir: string): Promise<Database> {
  const dir = pgliteDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    kind: "pglite",
    prisma,
    // PGlite is a single connection: every caller already shares it.
    session: (fn) =>
      fn({
        exec: async (sql) => void (await db.exec(sql)),
        query: async (sql, params) => (await db.query(sql, params)).rows as never,
      }),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
