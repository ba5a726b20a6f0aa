// The OPEN API's parameters. On the wire every value may be a string (forms, query strings) or a
// number (JSON); `wire` only describes them (and documents them). The strict checks below run in
// the order the spec answers them, after authentication, so that the first problem found names
// the failure code.
import { z } from "zod";
import { normalizeMobile, type PhonePolicy } from "../platform/phone.js";
import type { MemberRef } from "../ledger/types.js";
import { nulPath, recordId, wholeNumber } from "../platform/input.js";
import { PointsError } from "./answers.js";
import { isParamsBody } from "../platform/wire.js";
import { digest } from "../platform/secrets.js";
import type { Caller } from "./service.js";

const scalar = z.union([z.string(), z.number()]);

export const commonWire = {
  id: scalar.optional().describe("store number"),
  auth_code: scalar.optional().describe("the store's key"),
  device: scalar.optional().describe("must be `openapi`"),
  type: scalar.optional().describe("`phone` (default) or `no` (member number)"),
  number: scalar.optional().describe("phone number, or member number when type=no"),
  idempotency_key: scalar.optional().describe("extension: same as the Idempotency-Key header"),
};

export const changeWire = z.looseObject({ ...commonWire, count: scalar.optional().describe("whole number >= 1") });
export const balanceWire = z.looseObject({
  ...commonWire,
  with_expiry: scalar.optional().describe("extension: `1` adds `expiring`, the next three dates on which part of the balance lapses"),
});
export const transferWire = z.looseObject({
  ...commonWire,
  to_type: scalar.optional().describe("receiver: `phone` (default) or `no` (member number)"),
  to_number: scalar.optional().describe("receiver's phone number, or member number when to_type=no"),
  count: scalar.optional().describe("whole number >= 1"),
});
export const cancelWire = z.looseObject({ ...commonWire, history_id: scalar.optional().describe("`id` of the history row to reverse") });
export const historyWire = z.looseObject({
  ...commonWire,
  page: scalar.optional().describe("page number, from 1"),
  count: scalar.optional().describe("page size, 1..100 (default 20)"),
});

export type WireParams = Record<string, unknown>;

/**
 * The parameters' shapes, after authentication: a body that is not an object, or a parameter
 * that is not one value (`count=1&count=2`, a JSON object) or holds a NUL character, is
 * INVALID_PARAM naming it.
 */
export function checkWire(wire: z.ZodType, body: unknown, p: WireParams): void {
  if (!isParamsBody(body)) throw new PointsError("invalid_param", "body");
  const nul = nulPath(p);
  if (nul) throw new PointsError("invalid_param", String(nul[0]));
  const checked = wire.safeParse(p);
  if (!checked.success) throw new PointsError("invalid_param", String(checked.error.issues[0]!.path[0] ?? "body"));
}

/** The store's credentials, or null when they are missing or malformed (AUTH_FAILED). */
export function parseCaller(p: WireParams): Caller | null {
  const id = recordId.safeParse(p.id);
  const code = p.auth_code;
  if (!id.success || typeof code !== "string" || code === "") return null;
  return { storeId: id.data, authCodeHash: digest(code) };
}

const str = (v: unknown) => (typeof v === "number" ? String(v) : typeof v === "string" ? v : undefined);

/** The member named by `type` and `number`; throws the PointsError that the spec names. */
export function parseMember(p: WireParams, phones: PhonePolicy): MemberRef {
  if (str(p.device) !== "openapi") throw new PointsError("invalid_param", "device");
  return memberNamed(p, "type", "number", phones);
}

/** The receiver of a transfer, named by `to_type` and `to_number` as the giver is by `type` and `number`. */
export function parseReceiver(p: WireParams, phones: PhonePolicy): MemberRef {
  return memberNamed(p, "to_type", "to_number", phones);
}

function memberNamed(p: WireParams, typeName: string, numberName: string, phones: PhonePolicy): MemberRef {
  const type = str(p[typeName]) ?? "phone";
  if (type !== "phone" && type !== "no") throw new PointsError("invalid_param", typeName);
  const number = str(p[numberName])?.trim();
  if (!number) throw new PointsError("invalid_param", numberName);
  if (type === "no") {
    const no = recordId.safeParse(number);
    if (!no.success) throw new PointsError("invalid_param", numberName);
    return { memberNo: no.data };
  }
  const phone = normalizeMobile(number, phones);
  if (!phone) throw new PointsError("invalid_phone");
  return { phone };
}

/** `history_id` of a reversal: a history row's `id`. */
export function parseHistoryId(p: WireParams): number {
  const id = recordId.safeParse(p.history_id);
  if (!id.success) throw new PointsError("invalid_param", "history_id");
  return id.data;
}

/** `count` of save and use: a whole number >= 1 (its ceiling depends on the store's unit). */
const changeCount = wholeNumber(1);

export function parseChangeCount(p: WireParams): number {
  const count = changeCount.safeParse(p.count);
  if (!count.success) throw new PointsError("invalid_count");
  return count.data;
}

export const HISTORY_PAGE_MAX = 100;
const PAGE_MAX = 1_000_000;
// Built once: a zod schema costs more to build than to check a value with.
const pageNumber = wholeNumber(1, PAGE_MAX);
const pageSize = wholeNumber(1, HISTORY_PAGE_MAX);

export function parsePage(p: WireParams): { number: number; size: number } {
  const page = p.page === undefined || p.page === "" ? { success: true as const, data: 1 } : pageNumber.safeParse(p.page);
  if (!page.success) throw new PointsError("invalid_param", "page");
  const size = p.count === undefined || p.count === "" ? { success: true as const, data: 20 } : pageSize.safeParse(p.count);
  if (!size.success) throw new PointsError("invalid_count");
  return { number: page.data, size: size.data };
}

/** The Idempotency-Key header, or the `idempotency_key` parameter for form-only POS programs. */
export function parseIdempotencyKey(header: unknown, p: WireParams): string | undefined {
  const key = str(Array.isArray(header) ? header[0] : header) ?? str(p.idempotency_key);
  if (key === undefined || key === "") return undefined;
  if (key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) throw new PointsError("invalid_param", "idempotency_key");
  return key;
}

/** balance's `with_expiry`: absent or `0` is false, `1` true; anything else is INVALID_PARAM. */
export function parseWithExpiry(p: WireParams): boolean {
  const v = str(p.with_expiry);
  if (v === undefined || v === "0") return false;
  if (v === "1") return true;
  throw new PointsError("invalid_param", "with_expiry");
}
