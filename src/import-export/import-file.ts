// Reading an import file (shared/spec/migration.md, "Import"): its encoding and separator found
// without asking, its columns by header name in English or Korean, and each line's values checked
// for form. What the database must decide (a number held by another phone, a member imported
// already) is the ledger function's check (src/ledger/import.ts).
import { parse } from "csv-parse/sync";
import iconv from "iconv-lite";
import { INT_MAX } from "../platform/input.js";
import { normalizeMobile, type PhonePolicy } from "../platform/phone.js";
import type { ImportLine } from "../ledger/import.js";

export const IMPORT_COLUMNS = ["phone", "member_no", "balance", "joined", "memo"] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** The header names of each column, in the contract's table (English ones compared in lower case). */
const HEADER_NAMES: Record<ImportColumn, string[]> = {
  phone: ["phone", "휴대폰", "휴대폰번호", "전화번호"],
  member_no: ["member_no", "고객번호"],
  balance: ["balance", "stamps", "points", "보유스탬프", "포인트", "스탬프"],
  joined: ["joined", "가입일"],
  memo: ["memo", "메모"],
};

/** What is wrong with a line, as data: each language words it (LINE_PROBLEM_WORDS in English). */
export type LineProblem =
  | { kind: "unreadable"; detail: string }
  | { kind: "empty_file" }
  | { kind: "second_column"; column: ImportColumn; first: string }
  | { kind: "no_member_column" }
  | { kind: "not_mobile" }
  | { kind: "bad_member_no" }
  | { kind: "no_member" }
  | { kind: "bad_balance" }
  | { kind: "bad_joined" }
  | { kind: "nul_in_memo" }
  | { kind: "same_as_line"; column: ImportColumn; line: number }
  | { kind: "number_taken"; memberNo: number }
  | { kind: "phone_has_other_number" }
  | { kind: "member_not_found"; memberNo: number }
  | { kind: "member_named_twice" }
  | { kind: "already_imported" }
  | { kind: "above_maximum" };

/** One way of wording every problem. */
export type LineProblemWords = { [K in LineProblem["kind"]]: (p: Extract<LineProblem, { kind: K }>) => string };

export const LINE_PROBLEM_WORDS: LineProblemWords = {
  unreadable: (p) => `not a readable CSV line: ${p.detail}`,
  empty_file: () => "the file is empty: a header row is required",
  second_column: (p) => `a second column for ${p.column} (first: ${p.first})`,
  no_member_column: () => "a phone or member_no column is required",
  not_mobile: () => "not a mobile phone number",
  bad_member_no: () => `must be a whole number from 1 to ${INT_MAX}`,
  no_member: () => "required (or a member_no already known)",
  bad_balance: () => `must be a whole number from 0 to ${INT_MAX}`,
  bad_joined: () => "must be a date YYYY-MM-DD or YYYY-MM-DD HH:mm:ss",
  nul_in_memo: () => "must not contain a NUL character",
  same_as_line: (p) => `the same ${p.column} as line ${p.line}`,
  number_taken: (p) => `member number ${p.memberNo} belongs to another phone`,
  phone_has_other_number: () => "this phone is a member with another number",
  member_not_found: (p) => `required: member number ${p.memberNo} is not known`,
  member_named_twice: () => "names a member that another line of the file names too",
  already_imported: () => "already imported into this store's pool",
  above_maximum: () => `the member's balance would pass ${INT_MAX}`,
};

/** `problem` in `words`. */
export const wordProblem = (problem: LineProblem, words: LineProblemWords = LINE_PROBLEM_WORDS): string =>
  (words[problem.kind] as (p: LineProblem) => string)(problem);

/** One wrong line: its number in the file (the header is line 1), the column's header, what is wrong. */
export interface LineError {
  line: number;
  column: string;
  problem: LineProblem;
}

export interface ReadFile {
  lines: ImportLine[];
  errors: LineError[];
  /** The file's header name of each column it has. */
  headers: Partial<Record<ImportColumn, string>>;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 (a BOM dropped) when the bytes are valid UTF-8, otherwise CP949, what Korean Excel writes. */
export function decodeImportFile(bytes: Buffer): string {
  const body = bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes;
  try {
    return strictUtf8.decode(body);
  } catch {
    return iconv.decode(body, "cp949");
  }
}

const WHOLE = /^\d+$/;
const JOINED = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

/** `YYYY-MM-DD` or `YYYY-MM-DD HH:mm:ss` of a real day and time, as the latter; null otherwise. */
function joinedTime(text: string): string | null {
  const m = JOINED.exec(text);
  if (!m) return null;
  const time = `${m[1]}-${m[2]}-${m[3]} ${m[4] ?? "00"}:${m[5] ?? "00"}:${m[6] ?? "00"}`;
  // Date rolls an impossible day or time over (2024-02-30 to March 1st): a real one reads back the same.
  const parsed = new Date(`${time.replace(" ", "T")}Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === time.replace(" ", "T") ? time : null;
}

/** Tab when the header row has more tabs than commas (a `.tsv`), otherwise comma. */
function separator(text: string): string {
  const header = text.slice(0, text.search(/\r?\n|$/));
  return header.split("\t").length > header.split(",").length ? "\t" : ",";
}

/** The columns a header row names, with their places, or the header's errors. */
function readHeader(record: string[], line: number) {
  const headers: Partial<Record<ImportColumn, string>> = {};
  const index: Partial<Record<ImportColumn, number>> = {};
  const errors: LineError[] = [];
  record.forEach((raw, i) => {
    const name = raw.trim();
    const column = IMPORT_COLUMNS.find((c) => HEADER_NAMES[c].includes(name.toLowerCase()) || HEADER_NAMES[c].includes(name));
    if (!column) return;
    if (headers[column] !== undefined) {
      errors.push({ line, column: name, problem: { kind: "second_column", column, first: headers[column] } });
      return;
    }
    headers[column] = name;
    index[column] = i;
  });
  if (headers.phone === undefined && headers.member_no === undefined)
    errors.push({ line, column: "", problem: { kind: "no_member_column" } });
  return { headers, index, errors };
}

/**
 * Reads the file's lines and every error of form: a wrong value, a phone or number twice. Each
 * record is checked as the parser reads it and dropped, so that a large file costs its bytes and
 * one small object per line, not its records as well.
 */
export function readImportFile(bytes: Buffer, phones: PhonePolicy): ReadFile {
  const text = decodeImportFile(bytes);
  let header: ReturnType<typeof readHeader> | undefined;
  const lines: ImportLine[] = [];
  const errors: LineError[] = [];
  const firstLineOf = { phone: new Map<string, number>(), member_no: new Map<number, number>() };

  function readLine(record: string[], line: number, { headers, index }: NonNullable<typeof header>) {
    const value = (c: ImportColumn) => (index[c] === undefined ? "" : (record[index[c]] ?? "").trim());
    const wrong = (c: ImportColumn, problem: LineProblem) => errors.push({ line, column: headers[c] ?? c, problem });
    const before = errors.length;

    const phoneText = value("phone");
    const phone = phoneText ? normalizeMobile(phoneText, phones) : null;
    if (phoneText && !phone) wrong("phone", { kind: "not_mobile" });
    const noText = value("member_no");
    const memberNo = WHOLE.test(noText) && Number(noText) >= 1 && Number(noText) <= INT_MAX ? Number(noText) : null;
    if (noText && memberNo === null) wrong("member_no", { kind: "bad_member_no" });
    if (!phoneText && !noText) wrong("phone", { kind: "no_member" });
    const balanceText = value("balance");
    const balance = balanceText === "" ? 0 : WHOLE.test(balanceText) && Number(balanceText) <= INT_MAX ? Number(balanceText) : null;
    if (balance === null) wrong("balance", { kind: "bad_balance" });
    const joinedText = value("joined");
    const joined = joinedText ? joinedTime(joinedText) : null;
    if (joinedText && !joined) wrong("joined", { kind: "bad_joined" });
    const memo = value("memo");
    if (memo.includes("\0")) wrong("memo", { kind: "nul_in_memo" });

    for (const [c, key] of [
      ["phone", phone],
      ["member_no", memberNo],
    ] as const) {
      if (key === null) continue;
      const seen = firstLineOf[c] as Map<typeof key, number>;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, line);
      else {
        errors.push({ line: first, column: headers[c]!, problem: { kind: "same_as_line", column: c, line } });
        wrong(c, { kind: "same_as_line", column: c, line: first });
      }
    }
    if (errors.length === before) lines.push({ line, phone, memberNo, balance: balance!, joined, memo: memo || null });
  }

  try {
    parse(text, {
      delimiter: separator(text),
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: (record: string[], { lines: line }) => {
        if (!header) header = readHeader(record, line);
        else if (header.errors.length === 0) readLine(record, line, header);
        return null;
      },
    });
  } catch (err) {
    const line = (err as { lines?: number }).lines ?? 1;
    return { lines: [], errors: [{ line, column: "", problem: { kind: "unreadable", detail: (err as Error).message } }], headers: {} };
  }
  if (!header) return { lines: [], errors: [{ line: 1, column: "", problem: { kind: "empty_file" } }], headers: {} };
  if (header.errors.length) return { lines: [], errors: header.errors, headers: header.headers };
  errors.sort((a, b) => a.line - b.line);
  return { lines, errors, headers: header.headers };
}
