// Every ledger operation is one SQL function (prisma/migrations, docs/ledger.md); this is the one
// way TypeScript calls them: a fixed statement text per function, sent with its parameters in one
// round trip, and its rows parsed at the boundary instead of cast.
import { Prisma } from "../generated/prisma/client.js";
import type { z } from "zod";
import type { Sql } from "../platform/db/client.js";

/**
 * Runs `SELECT * FROM <fn>(<args>)` and parses its `count` rows with `row`. `args` are given in
 * the function's parameter order; optional ones are passed as null, so the text never changes,
 * and it is prepared under the function's name.
 */
export async function callLedgerRows<Row extends z.ZodType>(
  db: Sql,
  fn: string,
  args: unknown[],
  row: Row,
  count: number,
): Promise<z.infer<Row>[]> {
  const rows = await db.query<unknown>(Prisma.sql`SELECT * FROM ${Prisma.raw(fn)}(${Prisma.join(args)})`, fn);
  if (rows.length !== count) throw new Error(`${fn} returned ${rows.length} rows, not ${count}`);
  return rows.map((r) => row.parse(r));
}

/** A function that answers one row. */
export async function callLedger<Row extends z.ZodType>(db: Sql, fn: string, args: unknown[], row: Row): Promise<z.infer<Row>> {
  return (await callLedgerRows(db, fn, args, row, 1))[0]!;
}
