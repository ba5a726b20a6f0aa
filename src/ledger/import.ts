// The import's ledger function (prisma/migrations/20261205000100_import): one batch of a file's
// lines checked, and written when asked and nothing is wrong. The service calls it for every
// batch within one transaction (src/import-export/import.ts).
import { z } from "zod";
import type { Sql } from "../platform/db/client.js";
import { callLedger } from "./call.js";

/** One line as the function takes it: its values checked for form already. */
export interface ImportLine {
  /** The line's number in the file (the header is line 1). */
  line: number;
  /** E.164; null when the line names its member by number only. */
  phone: string | null;
  memberNo: number | null;
  balance: number;
  /** `YYYY-MM-DD HH:mm:ss` in the store's time zone, or null. */
  joined: string | null;
  memo: string | null;
}

export const IMPORT_PROBLEMS = [
  "number_taken",
  "phone_has_other_number",
  "member_not_found",
  "member_named_twice",
  "already_imported",
  "above_maximum",
] as const;
export type ImportProblem = (typeof IMPORT_PROBLEMS)[number];

const importRow = z.object({
  status: z.enum(["ok", "rejected", "store_not_found"]),
  problems: z.array(z.object({ line: z.number().int(), problem: z.enum(IMPORT_PROBLEMS) })).nullable(),
  new_members: z.number().int().nullable(),
  new_accounts: z.number().int().nullable(),
});

export interface ImportBatch {
  storeId: number;
  timeZone: string;
  /** The time of the import; the database's clock when absent. */
  at?: Date;
  /** Write the lines (when none is wrong); otherwise only check them. */
  write: boolean;
  lines: ImportLine[];
}

/** Checks, and with `write` writes, one batch of lines into the store's pool. */
export function importBatch(db: Sql, b: ImportBatch) {
  const column = <K extends keyof ImportLine>(k: K) => b.lines.map((l) => l[k]);
  return callLedger(
    db,
    "ledger_import",
    [
      b.storeId,
      b.timeZone,
      b.at ?? null,
      b.write,
      column("line"),
      column("phone"),
      column("memberNo"),
      column("balance"),
      column("joined"),
      column("memo"),
    ],
    importRow,
  );
}
