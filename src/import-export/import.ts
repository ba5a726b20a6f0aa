// `stampd import members` and `POST /admin/stores/<id>/import` (shared/spec/migration.md,
// "Import"): a file's members and opening balances brought into a store's pool, all or nothing.
// The file is read and checked for form first (import-file.ts); then, in one transaction, the
// ledger function checks each batch against the database and writes it (src/ledger/import.ts).
// Any wrong line rolls the whole transaction back and is reported with every other.
import { Prisma } from "../generated/prisma/client.js";
import type { Database, Sql } from "../platform/db/client.js";
import type { PhonePolicy } from "../platform/phone.js";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../platform/errors.js";
import { isUniqueViolation, type UniqueConstraint } from "../platform/db/pg-errors.js";
import { importBatch, type ImportLine, type ImportProblem } from "../ledger/import.js";
import { asConsoleUser } from "../ledger/actor.js";
import { readImportFile, wordProblem, type ImportColumn, type LineError, type LineProblem } from "./import-file.js";

export interface ImportDeps {
  db: Database;
  phones: PhonePolicy;
  /** The time zone of `joined` dates (TIME_ZONE). */
  timeZone: string;
  /** Lines per call of the ledger function. */
  batchSize: number;
  /** The time of the import (the day its lots count from); the database's clock when absent. */
  clock?: () => Date;
}

export interface ImportSummary {
  dry_run: boolean;
  lines_read: number;
  members_new_to_server: number;
  members_new_to_pool: number;
  balance_imported: number;
  kept_member_numbers: number;
}

/** How many wrong lines a rejection lists; the rest are counted. */
export const LISTED_ERRORS = 100;

/** A file with wrong lines: nothing was written. */
export class ImportRejectedError extends InvalidArgumentError {
  override name = "ImportRejectedError";
  constructor(readonly errors: LineError[]) {
    const listed = errors.slice(0, LISTED_ERRORS).map((e) => `line ${e.line}${e.column ? `, ${e.column}` : ""}: ${wordProblem(e.problem)}`);
    const more = errors.length > LISTED_ERRORS ? [`and ${errors.length - LISTED_ERRORS} more wrong lines`] : [];
    super([`${errors.length} wrong line(s); nothing was imported`, ...listed, ...more].join("\n"));
  }
}

/** Where each of the ledger function's problems is reported, and what it is. */
const PROBLEMS: Record<ImportProblem, { column: ImportColumn; problem: (l: ImportLine) => LineProblem }> = {
  number_taken: { column: "member_no", problem: (l) => ({ kind: "number_taken", memberNo: l.memberNo! }) },
  phone_has_other_number: { column: "phone", problem: () => ({ kind: "phone_has_other_number" }) },
  member_not_found: { column: "phone", problem: (l) => ({ kind: "member_not_found", memberNo: l.memberNo! }) },
  member_named_twice: { column: "member_no", problem: () => ({ kind: "member_named_twice" }) },
  already_imported: { column: "phone", problem: () => ({ kind: "already_imported" }) },
  above_maximum: { column: "balance", problem: () => ({ kind: "above_maximum" }) },
};

/**
 * What another transaction can write between a batch's check and its write (ledger_import takes no
 * phone locks): a member with one of the file's phones or kept numbers, an account in the pool, or
 * an import row for a member named by two lines of different batches. The database refuses it.
 */
const CLASHES: UniqueConstraint[] = [
  { name: "member_pkey", columns: ["id"] },
  { name: "member_phone_key", columns: ["phone"] },
  { name: "ledger_account_pool_id_member_id_key", columns: ["pool_id", "member_id"] },
  { name: "ledger_entry_import_once", columns: ["account_id"] },
];

/**
 * SQLSTATE deadlock_detected: two imports into one pool lock accounts in id order within each
 * batch, not across the batches, so they can wait for each other; PostgreSQL ends one of them.
 */
const DEADLOCK = "40P01";

export class ImportService {
  constructor(private readonly deps: ImportDeps) {}

  /**
   * Imports `file` into the store's pool, or with `dryRun` only checks it; throws
   * ImportRejectedError. `consoleLogin`: the console user who imports (ledger_entry.console_login).
   */
  async importMembers(
    storeId: number,
    file: Buffer,
    { dryRun, progress, consoleLogin }: { dryRun: boolean; progress?: (done: number, total: number) => void; consoleLogin?: string },
  ): Promise<ImportSummary> {
    const read = readImportFile(file, this.deps.phones);
    const { errors, headers } = read;
    // Lines that keep a member number go first: each batch moves the member-number sequence past
    // its own kept numbers before it draws any, so once every kept number has been seen no number
    // drawn for a new member can be one that a later line keeps.
    const lines = [...read.lines.filter((l) => l.memberNo !== null), ...read.lines.filter((l) => l.memberNo === null)];
    const counts = { newMembers: 0, newAccounts: 0 };
    const inTransaction = async (sql: Sql) => {
      for (let i = 0; i < lines.length; i += this.deps.batchSize) {
        const batch = lines.slice(i, i + this.deps.batchSize);
        // Once a line is wrong nothing will be written: the rest are only checked.
        const write = !dryRun && errors.length === 0;
        const r = await importBatch(sql, { storeId, timeZone: this.deps.timeZone, at: this.deps.clock?.(), write, lines: batch });
        if (r.status === "store_not_found") throw new NotFoundError(`no store ${storeId}`);
        counts.newMembers += r.new_members!;
        counts.newAccounts += r.new_accounts!;
        const byLine = new Map(batch.map((l) => [l.line, l]));
        for (const p of r.problems ?? []) {
          const { column, problem } = PROBLEMS[p.problem];
          errors.push({ line: p.line, column: headers[column] ?? column, problem: problem(byLine.get(p.line)!) });
        }
        progress?.(i + batch.length, lines.length);
      }
      // Thrown inside the transaction, so that what earlier batches wrote is rolled back.
      if (errors.length) throw new ImportRejectedError(errors.sort((a, b) => a.line - b.line));
    };
    const transaction =
      consoleLogin === undefined ? this.deps.db.transaction(inTransaction) : asConsoleUser(this.deps.db, consoleLogin, inTransaction);
    await transaction.catch((err: unknown) => {
      if (CLASHES.some((c) => isUniqueViolation(err, c)) || (err as { code?: string } | null)?.code === DEADLOCK)
        throw new ConflictError("another change wrote members of the file meanwhile; nothing was imported: run the import again");
      throw err;
    });
    // The planner's statistics describe the tables before the import until they are gathered again,
    // which the embedded database never does by itself (it has no autovacuum): with them, a pool's
    // history is read by its key instead of by hashing every account of the pool for each page, and
    // what is due of its lots expires by their accounts instead of by hashing all of them.
    if (!dryRun) await this.deps.db.query(Prisma.sql`ANALYZE member, ledger_account, ledger_entry, ledger_lot`);
    return {
      dry_run: dryRun,
      lines_read: lines.length,
      members_new_to_server: counts.newMembers,
      members_new_to_pool: counts.newAccounts,
      balance_imported: lines.reduce((sum, l) => sum + l.balance, 0),
      kept_member_numbers: lines.filter((l) => l.memberNo !== null).length,
    };
  }
}
