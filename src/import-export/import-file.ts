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

/** One wrong line: its number in the file (the header is line 1), the column's header, what is wrong. */
export interface LineError {
  line: number;
  column: string;
  reason: string;
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
      errors.push({ line, column: name, reason: `a second column for ${column} (first: ${headers[column]})` });
      return;
    }
    headers[column] = name;
    index[column] = i;
  });
  if (headers.phone === undefined && headers.member_no === undefined)
    errors.push({ line, column: "", reason: "a phone or member_no column is required" });
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
    const wrong = (c: ImportColumn, reason: string) => errors.push({ line, column: headers[c] ?? c, reason });
    const before = errors.length;

    const phoneText = value("phone");
    const phone = phoneText ? normalizeMobile(phoneText, phones) : null;
    if (phoneText && !phone) wrong("phone", "not a mobile phone number");
    const noText = value("member_no");
    const memberNo = WHOLE.test(noText) && Number(noText) >= 1 && Number(noText) <= INT_MAX ? Number(noText) : null;
    if (noText && memberNo === null) wrong("member_no", `must be a whole number from 1 to ${INT_MAX}`);
    if (!phoneText && !noText) wrong("phone", "required (or a member_no already known)");
    const balanceText = value("balance");
    const balance = balanceText === "" ? 0 : WHOLE.test(balanceText) && Number(balanceText) <= INT_MAX ? Number(balanceText) : null;
    if (balance === null) wrong("balance", `must be a whole number from 0 to ${INT_MAX}`);
    const joinedText = value("joined");
    const joined = joinedText ? joinedTime(joinedText) : null;
    if (joinedText && !joined) wrong("joined", "must be a date YYYY-MM-DD or YYYY-MM-DD HH:mm:ss");
    const memo = value("memo");
    if (memo.includes("\0")) wrong("memo", "must not contain a NUL character");

    for (const [c, key] of [
      ["phone", phone],
      ["member_no", memberNo],
    ] as const) {
      if (key === null) continue;
      const seen = firstLineOf[c] as Map<typeof key, number>;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, line);
      else {
        errors.push({ line: first, column: headers[c]!, reason: `the same ${c} as line ${line}` });
        wrong(c, `the same ${c} as line ${first}`);
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
    return { lines: [], errors: [{ line, column: "", reason: `not a readable CSV line: ${(err as Error).message}` }], headers: {} };
  }
  if (!header) return { lines: [], errors: [{ line: 1, column: "", reason: "the file is empty: a header row is required" }], headers: {} };
  if (header.errors.length) return { lines: [], errors: header.errors, headers: header.headers };
  errors.sort((a, b) => a.line - b.line);
  return { lines, errors, headers: header.headers };
}
