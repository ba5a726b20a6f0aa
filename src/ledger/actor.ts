// Who made a ledger row. The console runs the same ledger functions as the APIs; to name its user
// on the rows they write, it runs them in a transaction that first sets stampd.console_login,
// which ledger_entry.console_login takes as its default (docs/ledger.md, "Who made a row"). The
// setting is local to that transaction, so a pooled connection never carries it further.
import { Prisma } from "../generated/prisma/client.js";
import type { Database, Sql } from "../platform/db/client.js";

/** Runs `run` in one transaction whose ledger rows carry `login` as their console user. */
export function asConsoleUser<T>(db: Database, login: string, run: (sql: Sql) => Promise<T>): Promise<T> {
  return db.transaction(async (sql) => {
    await sql.query(Prisma.sql`SELECT set_config('stampd.console_login', ${login}, true)`);
    return run(sql);
  });
}
