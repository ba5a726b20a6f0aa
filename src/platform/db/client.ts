// Opens the database: PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite under
// DATA_DIR. Both are reached through one Prisma client, and the ledger's statements through the
// driver itself (`query`); `session` runs raw multi-statement SQL on one dedicated connection
// (migrations and their advisory lock need that).
import { mkdirSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import Cursor from "pg-cursor";
import { createPGlite } from "./pglite-fs.js";
import { diskShortage, ShuttingDownError } from "./refusals.js";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient, type Prisma as P } from "../../generated/prisma/client.js";

export type Prisma = PrismaClient;

/**
 * One statement built with `Prisma.sql`, run on the driver itself rather than through Prisma's
 * `$queryRaw`, whose own work per call cost more than the ledger statement it carried
 * (docs/performance.md). Rows come back as the driver parses them: int4 as number, json and jsonb
 * as values, text[] as arrays. The ledger, its gates and the services built on it use this.
 */
export interface Sql {
  /**
   * `name`, for a statement whose text never changes (a ledger function's call): PostgreSQL
   * prepares it once per connection under that name and reuses its plan.
   */
  query<T>(statement: P.Sql, name?: string): Promise<T[]>;
}

/** One connection for raw SQL: a simple-protocol `exec` and a parameterised `query`. */
export interface SqlSession {
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database extends Sql {
  kind: "postgres" | "pglite";
  prisma: PrismaClient;
  /**
   * PostgreSQL only: the rows of `statement` in batches of `batchSize`, read through a server-side
   * cursor on a connection held until the last batch or the end of the iteration. Null on the
   * embedded database, whose one connection cannot be held by a reader: page by key there.
   */
  cursor: (<T>(statement: P.Sql, batchSize: number) => AsyncGenerator<T[]>) | null;
  /** Runs `fn` on one connection held for its whole duration. */
  session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. On the
   * embedded database every other statement waits until it ends (PGlite has one connection).
   */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /**
   * Why writes fail now, or null (for /readyz): on the embedded database, too little free disk
   * space; on PostgreSQL, a ledger write that failed for lack of space or an I/O error, until a
   * probe write succeeds again.
   */
  writeProblem(): Promise<string | null>;
  /**
   * For shutdown, once the grace period for requests in flight is nearly over: refuses every new
   * statement and cancels those running, so that they roll back and their requests get an answer
   * (an error) instead of committing after the process has gone. Repeats until `close`.
   */
  cancelStatements(): void;
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

/**
 * SQLSTATEs of a write the server could not store: disk_full, and the other insufficient-resources
 * errors of storage (53000), and io_error.
 */
const STORAGE_FAILURES = new Set(["53000", "53100", "58030"]);

/**
 * A write that needs new space in the database's tablespace: a temporary table's file and its
 * catalog rows. It runs only while writes are known to fail, so it costs nothing otherwise.
 */
const WRITE_PROBE = "BEGIN; CREATE TEMP TABLE stampd_write_probe (x int) ON COMMIT DROP; INSERT INTO stampd_write_probe VALUES (1); COMMIT";

function openPostgres(connectionString: string, max: number): Database {
  const pool = new pg.Pool({ connectionString, max });
  // An idle connection that the server drops must not crash the process.
  pool.on("error", () => {});
  let storageFailure: string | null = null;
  // The server process of each connection, for pg_cancel_backend.
  const backends = new Set<pg.PoolClient>();
  pool.on("connect", (client) => backends.add(client));
  pool.on("remove", (client) => backends.delete(client));
  let cancelling: NodeJS.Timeout | undefined;
  const cancelRunning = async () => {
    const pids = [...backends].map((c) => (c as unknown as { processID: number }).processID);
    // On a connection of its own: the pool's may all be busy with what is to be cancelled.
    const canceller = new pg.Client({ connectionString });
    try {
      await canceller.connect();
      await canceller.query("SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid", [pids]);
    } catch {
      // The database may be gone already; then nothing of ours runs there.
    } finally {
      await canceller.end().catch(() => {});
    }
  };
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    prisma,
    async query<T>(statement: P.Sql, name?: string) {
      if (cancelling) throw new ShuttingDownError();
      try {
        return (await pool.query({ name, text: statement.text, values: statement.values })).rows as T[];
      } catch (err) {
        if (STORAGE_FAILURES.has((err as { code?: string }).code ?? "")) storageFailure = (err as Error).message;
        throw err;
      }
    },
    async *cursor<T>(statement: P.Sql, batchSize: number) {
      if (cancelling) throw new ShuttingDownError();
      const client = await pool.connect();
      const cursor = client.query(new Cursor<T>(statement.text, statement.values));
      let broken: Error | undefined;
      try {
        for (let rows = await cursor.read(batchSize); rows.length > 0; rows = await cursor.read(batchSize)) yield rows;
      } catch (err) {
        broken = err as Error;
        throw err;
      } finally {
        // A connection whose cursor failed is not given back to the pool: it is closed.
        if (!broken) await cursor.close().catch((err: Error) => (broken = err));
        client.release(broken);
      }
    },
    async writeProblem() {
      if (!storageFailure) return null;
      const client = await pool.connect();
      try {
        await client.query(WRITE_PROBE);
        storageFailure = null;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        return `writes failing: ${(err as Error).message}`;
      } finally {
        client.release();
      }
      return null;
    },
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (sql) => void (await client.query(sql)),
          query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        });
      } finally {
        client.release();
      }
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          query: async <T>(statement: P.Sql, name?: string) =>
            (await client.query({ name, text: statement.text, values: statement.values })).rows as T[],
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    cancelStatements() {
      if (cancelling) return;
      void cancelRunning();
      // Statements that were waiting for a connection start after this one: cancel them too.
      cancelling = setInterval(() => void cancelRunning(), 250);
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await prisma.$disconnect();
      // Ends once every connection is back, so cancelling goes on until then.
      await pool.end();
      clearInterval(cancelling);
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
  const shutdown = { cancelling: false };
  const db = await createPGlite(dir, shutdown);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    kind: "pglite",
    prisma,
    query: async <T>(statement: P.Sql) => (await db.query<T>(statement.text, statement.values)).rows,
    cursor: null,
    // PGlite is a single connection: every caller already shares it.
    session: (fn) =>
      fn({
        exec: async (sql) => void (await db.exec(sql)),
        query: async (sql, params) => (await db.query(sql, params)).rows as never,
      }),
    transaction: (fn) =>
      db.transaction((tx) => fn({ query: async <T>(statement: P.Sql) => (await tx.query<T>(statement.text, statement.values)).rows })),
    writeProblem: async () => diskShortage(dir),
    // One connection, running one statement at a time to its end within milliseconds, never
    // waiting on a lock: "cancelling" is refusing the statements queued behind it (createPGlite).
    cancelStatements: () => void (shutdown.cancelling = true),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
