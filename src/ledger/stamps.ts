// Issued stamp cards on the ledger: a stamp's count is the balance of its own ledger_account
// (max_balance = the card's maxStamps), and every change of the count or of the used flag writes
// one ledger_entry and, for a store with a webhook, its STAMP event. Each operation is one SQL
// function (prisma/migrations/20261204200000_stamp_functions): gate, lock the stamp then its
// account, check, count the call on the rate counter last, write. The store console's functions
// (20261206200000_console_cards) take the user's store instead of the gate and share the API's
// checks and writes. This file only types them.
import { z } from "zod";
import { EntryKind, Plan } from "../generated/prisma/enums.js";
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import { callLedger } from "./call.js";

/** The stamp API's gate: who calls, what the call needs, and the limits of each plan. */
export interface StampGateInput {
  /** SHA-256 (hex) of the API key. */
  keyHash: string;
  /** The lowest plan allowed to make this call. */
  minPlan: Plan;
  timeZone: string;
  /** The time of the call; the database's clock when absent (tests pin it). */
  at?: Date;
  /** Calls per minute, hour and day of each plan, unless the store's operator overrides them. */
  planLimits: Record<Plan, { minute: number; hour: number; day: number }>;
}

/** How stamps are shown: the server's own URL (the default domain) and the time zone of dates. */
export interface StampView {
  publicBaseUrl: string;
  timeZone: string;
}

const gateArgs = (g: StampGateInput) => [g.keyHash, g.minPlan, g.timeZone, g.at ?? null, JSON.stringify(g.planLimits)];

/** The gate's refusals, shared by every API function. */
const GATE_STATUSES = ["unauthorized", "plan_required", "rate_limited"] as const;
const UNUSABLE = ["inactive", "not_started", "expired", "already_used"] as const;

/** Why a stamp cannot be stamped or redeemed now. */
export type Unusable = (typeof UNUSABLE)[number];

const window = z.object({ window: z.enum(["minute", "hour", "day"]), limit: z.number(), calls: z.number(), resets_at: z.number() });
export type WindowUsage = z.infer<typeof window>;

/** What every API function reports besides its own values: the store, and the rate windows once counted. */
const apiRow = <const S extends readonly [string, ...string[]]>(statuses: S) =>
  z.object({
    status: z.enum(statuses),
    store_id: z.number().nullable(),
    plan: z.enum(Plan).nullable(),
    called_at: z.number().nullable(),
    windows: z.array(window).nullable(),
  });

/** What a change wrote: an event queued, and the kinds of its ledger rows. */
const written = { queued: z.boolean().nullable(), kinds: z.array(z.enum(EntryKind)).nullable() };

/** The refusals of create's, add's and redeem's checks, shared by the API's functions and the console's. */
const CREATE_REFUSALS = ["card_not_found", "invalid_period"] as const;
const ADD_REFUSALS = ["stamp_not_found", ...UNUSABLE, "card_full"] as const;
const REDEEM_REFUSALS = ["stamp_not_found", ...UNUSABLE, "not_enough_stamps"] as const;
const PASSWORD_REFUSALS = ["password_missing", "wrong_onsite_password"] as const;

const callRow = apiRow(["ok", ...GATE_STATUSES]);
const validateRow = apiRow(["ok", ...GATE_STATUSES, "stamp_not_found", ...UNUSABLE]).extend({ stamp: z.unknown() });
const createRow = apiRow(["ok", ...GATE_STATUSES, ...CREATE_REFUSALS]).extend({ stamp_idx: z.number().nullable() });
const addRow = apiRow(["ok", ...GATE_STATUSES, ...ADD_REFUSALS]).extend(written);
const removeRow = apiRow(["ok", ...GATE_STATUSES, "stamp_not_found", "empty"]).extend(written);
const redeemRow = apiRow(["ok", ...GATE_STATUSES, ...REDEEM_REFUSALS, ...PASSWORD_REFUSALS]).extend(written);
const updateRow = apiRow([
  "ok",
  ...GATE_STATUSES,
  "stamp_not_found",
  "card_not_found",
  "invalid_period",
  "above_maximum",
  "above_new_maximum",
]).extend(written);
const deleteRow = apiRow(["ok", ...GATE_STATUSES, "stamp_not_found"]);

export type ApiCallRow = z.infer<typeof callRow>;
export type ApiCallStatus = ApiCallRow["status"];
export type ValidateStatus = z.infer<typeof validateRow>["status"];
export type CreateStatus = z.infer<typeof createRow>["status"];
export type AddStatus = z.infer<typeof addRow>["status"];
export type RemoveStatus = z.infer<typeof removeRow>["status"];
export type RedeemStatus = z.infer<typeof redeemRow>["status"];
export type UpdateStatus = z.infer<typeof updateRow>["status"];
export type DeleteStatus = z.infer<typeof deleteRow>["status"];

/** Every status of the stamp API's functions. */
export type StampApiStatus =
  ApiCallStatus | ValidateStatus | CreateStatus | AddStatus | RemoveStatus | RedeemStatus | UpdateStatus | DeleteStatus;

/** Counts a call refused for its parameters: it still needs a valid key and counts. */
export const countApiCall = (db: Sql, g: StampGateInput) => callLedger(db, "stamp_api_call", gateArgs(g), callRow);

export const validateStamp = (db: Sql, g: StampGateInput, view: StampView, stampIdx: number) =>
  callLedger(db, "stamp_validate", [...gateArgs(g), view.publicBaseUrl, stampIdx], validateRow);

/** The stamp's own fields that create and update write. Null clears an optional one. */
export interface StampFields {
  active?: boolean;
  userId?: string;
  userName?: string | null;
  userPhone?: string | null;
  userEmail?: string | null;
  userEtc1?: string | null;
  userEtc2?: string | null;
  memo?: string | null;
  /** Null: the server's own public URL. */
  domain?: string | null;
}

export interface NewStamp extends StampFields {
  cardIdx: number;
  validFrom: string;
  validUntil: string;
  userId: string;
  pageCode: string;
}

/** Issues a card of the gate's store to a customer: a new account (balance 0) and its stamp. */
export const openStamp = (db: Sql, g: StampGateInput, s: NewStamp) =>
  callLedger(
    db,
    "stamp_create",
    [
      ...gateArgs(g),
      s.cardIdx,
      s.validFrom,
      s.validUntil,
      s.pageCode,
      s.active ?? true,
      s.userId,
      s.userName ?? null,
      s.userPhone ?? null,
      s.userEmail ?? null,
      s.userEtc1 ?? null,
      s.userEtc2 ?? null,
      s.memo ?? null,
      s.domain ?? null,
    ],
    createRow,
  );

export const addStamp = (db: Sql, g: StampGateInput, view: StampView, stampIdx: number) =>
  callLedger(db, "stamp_add", [...gateArgs(g), view.publicBaseUrl, stampIdx], addRow);

export const removeStamp = (db: Sql, g: StampGateInput, view: StampView, stampIdx: number) =>
  callLedger(db, "stamp_remove", [...gateArgs(g), view.publicBaseUrl, stampIdx], removeRow);

export const redeemStamp = (db: Sql, g: StampGateInput, view: StampView, stampIdx: number, onsitePassword: string | null) =>
  callLedger(db, "stamp_redeem", [...gateArgs(g), view.publicBaseUrl, stampIdx, onsitePassword], redeemRow);

export interface StampUpdate extends StampFields {
  cardIdx?: number;
  /** The absolute count. */
  stamps?: number;
  used?: boolean;
  resetPin?: boolean;
  validFrom?: string;
  validUntil?: string;
}

/** stamp_update's optional fields, in its parameter order: each goes as (given, value). */
const UPDATE_FIELDS = [
  "cardIdx",
  "stamps",
  "used",
  "validFrom",
  "validUntil",
  "active",
  "userId",
  "userName",
  "userPhone",
  "userEmail",
  "userEtc1",
  "userEtc2",
  "memo",
  "domain",
] as const satisfies readonly Exclude<keyof StampUpdate, "resetPin">[];

/** Changes what is given of a stamp of the gate's store, whatever its state (an admin correction). */
export const updateStamp = (db: Sql, g: StampGateInput, view: StampView, stampIdx: number, u: StampUpdate) =>
  callLedger(
    db,
    "stamp_update",
    [
      ...gateArgs(g),
      view.publicBaseUrl,
      stampIdx,
      ...UPDATE_FIELDS.flatMap((f) => [u[f] !== undefined, u[f] ?? null]),
      u.resetPin ?? false,
    ],
    updateRow,
  );

/** Deletes a stamp of the gate's store; its row stays, without the customer's data. */
export const deleteStamp = (db: Sql, g: StampGateInput, stampIdx: number) =>
  callLedger(db, "stamp_delete", [...gateArgs(g), stampIdx], deleteRow);

/** The stamp page's stamp and key (its code), and when the call happens (the database's clock when absent). */
export interface PageCall {
  stampIdx: number;
  pageCode: string;
  at?: Date;
}

const pageReadRow = z.object({ status: z.enum(["ok", "stamp_not_found", ...UNUSABLE]), stamp: z.unknown() });
export type PageReadStatus = z.infer<typeof pageReadRow>["status"];

/** The stamp of a stamp page as validate shows it, and why it is not usable now. */
export const readStampPage = (db: Sql, p: PageCall, view: StampView) =>
  callLedger(db, "stamp_page_read", [p.stampIdx, p.pageCode, view.timeZone, p.at ?? null, view.publicBaseUrl], pageReadRow);

/** A guess of a secret as the page's throttle saw it. */
const guessRow = z.object({
  /** False: refused unchecked, the page is locked until `locked_until`. */
  counted: z.boolean(),
  /** Wrong guesses in a row after this one. */
  failures: z.number(),
  /** Set when the page is locked (by this guess, or before it). */
  locked_until: z.coerce.date().nullable(),
});
export type GuessCount = z.infer<typeof guessRow>;

/** The page throttle's rules: wrong guesses before a lock, and the first and longest lock. */
export interface GuessRules {
  max_failures: number;
  lock_minutes: number;
  lock_max_minutes: number;
}

const pageAddRow = z
  .object({ status: z.enum(["ok", "stamp_not_found", "wrong_onsite_password", ...UNUSABLE, "card_full"]) })
  .extend(guessRow.shape)
  .extend(written);
export type PageAddStatus = z.infer<typeof pageAddRow>["status"];

/** The stamp page's on-site stamp: add's rules, after the card's on-site password, counted by the page's throttle. */
export const addStampOnSite = (db: Sql, p: PageCall, password: string, view: StampView, rules: GuessRules) =>
  callLedger(
    db,
    "stamp_page_add",
    [p.stampIdx, p.pageCode, password, view.timeZone, p.at ?? null, view.publicBaseUrl, JSON.stringify(rules)],
    pageAddRow,
  );

/** Counts one guess of the customer's PIN, as wrong until the caller has checked it. */
export const countPinGuess = (db: Sql, stampIdx: number, rules: GuessRules) =>
  callLedger(db, "page_count_guess", [stampIdx, "pin", false, null, JSON.stringify(rules)], guessRow);

/**
 * The console's gate: the logged-in user's store instead of an API key (no plan, no rate
 * counter: the console is not the API), the time zone of dates and the time of the call.
 */
export interface StoreCaller {
  storeId: number;
  timeZone: string;
  /** The database's clock when absent (tests pin it). */
  at?: Date;
}

const storeArgs = (c: StoreCaller) => [c.storeId, c.timeZone, c.at ?? null];

const consoleCreateRow = z.object({ status: z.enum(["ok", ...CREATE_REFUSALS, "already_open"]), stamp_idx: z.number().nullable() });
const consoleAddRow = z
  .object({ status: z.enum(["ok", ...ADD_REFUSALS, "changed"]), stamps: z.number().nullable(), max_stamps: z.number().nullable() })
  .extend(written);
const consoleRedeemRow = z.object({ status: z.enum(["ok", ...REDEEM_REFUSALS]) }).extend(written);
const consoleActiveRow = z.object({ status: z.enum(["ok", "stamp_not_found"]) });

export type ConsoleCreateStatus = z.infer<typeof consoleCreateRow>["status"];
export type ConsoleAddStatus = z.infer<typeof consoleAddRow>["status"];
export type ConsoleRedeemStatus = z.infer<typeof consoleRedeemRow>["status"];

/** A stamp the console issues: to a customer named by phone, valid from today for `months` months. */
export interface ConsoleNewStamp {
  cardIdx: number;
  months: number;
  pageCode: string;
  userId: string;
  /** As the console shows it (national format); a customer holds one open stamp of a card per phone. */
  userPhone: string;
  userName: string | null;
}

/** Issues a card of the store, unless the phone holds an open stamp of it already (`already_open`, and its stampIdx). */
export const openStampOfStore = (db: Sql, c: StoreCaller, s: ConsoleNewStamp) =>
  callLedger(
    db,
    "console_stamp_create",
    [...storeArgs(c), s.cardIdx, s.months, s.pageCode, s.userId, s.userPhone, s.userName],
    consoleCreateRow,
  );

/** Adds one stamp, by add's rules, to a stamp of the store that holds `expected` stamps (else `changed`). */
export const addStampOfStore = (db: Sql, c: StoreCaller, view: StampView, stampIdx: number, expected: number) =>
  callLedger(db, "console_stamp_add", [...storeArgs(c), view.publicBaseUrl, stampIdx, expected], consoleAddRow);

/** Redeems a stamp of the store, by redeem's rules without the on-site password (the caller is staff). */
export const redeemStampOfStore = (db: Sql, c: StoreCaller, view: StampView, stampIdx: number) =>
  callLedger(db, "console_stamp_redeem", [...storeArgs(c), view.publicBaseUrl, stampIdx], consoleRedeemRow);

/** Deactivates, or activates again, a stamp of the store; its count and used flag stay. */
export const setStampActiveOfStore = (db: Sql, storeId: number, stampIdx: number, active: boolean) =>
  callLedger(db, "console_stamp_set_active", [storeId, stampIdx, active], consoleActiveRow);

/** A card's fields as an edit sets them all; a null link, image or on-site password clears it. */
export interface CardEdit {
  name: string;
  title: string;
  maxStamps: number;
  url: string | null;
  image: string | null;
  onsitePassword: string | null;
}

const cardUpdateRow = z.object({ status: z.enum(["ok", "card_not_found", "above_new_maximum"]), stamps_above: z.number().nullable() });

/** Edits a card of the store and moves its stamps' maximum with it; refused while a stamp holds more than the new maximum. */
export const updateCard = (db: Sql, storeId: number, cardIdx: number, e: CardEdit) =>
  callLedger(db, "card_update", [storeId, cardIdx, e.name, e.title, e.maxStamps, e.url, e.image, e.onsitePassword], cardUpdateRow);

/** A stamp as the API shows it (validate's object), and whether its benefit was used. */
const listedRow = z.object({ stamp: z.unknown(), used: z.boolean() });

/** Which stamps of a store to read: of one card, or one stamp; with `phoneDigits`, those whose phone holds them. */
export interface StampFilter {
  cardIdx?: number;
  stampIdx?: number;
  phoneDigits?: string;
  limit: number;
}

/** Stamps of the store as the API shows them, not deleted, newest first. A read: it locks nothing. */
export async function readStoreStamps(db: Sql, storeId: number, view: StampView, f: StampFilter) {
  const rows = await db.query(
    Prisma.sql`SELECT stamp_payload(s.id, ${view.timeZone}, ${view.publicBaseUrl}) AS stamp, s.used
                 FROM stamp s JOIN card c ON c.id = s.card_id
                WHERE c.store_id = ${storeId} AND s.deleted_at IS NULL
                  AND (${f.cardIdx ?? null}::int IS NULL OR s.card_id = ${f.cardIdx ?? null})
                  AND (${f.stampIdx ?? null}::int IS NULL OR s.id = ${f.stampIdx ?? null})
                  AND (${f.phoneDigits ?? null}::text IS NULL
                       OR regexp_replace(s.user_phone, '[^0-9]', '', 'g') LIKE '%' || ${f.phoneDigits ?? null} || '%')
                ORDER BY s.id DESC LIMIT ${f.limit}`,
  );
  return rows.map((r) => listedRow.parse(r));
}
