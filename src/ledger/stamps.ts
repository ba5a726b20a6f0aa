// Issued stamp cards on the ledger: a stamp's count is the balance of its own ledger_account
// (max_balance = the card's maxStamps), and every change of the count or of the used flag writes
// one ledger_entry and, for a store with a webhook, its STAMP event. Each operation is one SQL
// function (prisma/migrations/20261204200000_stamp_functions): gate, lock the stamp then its
// account, check, count the call on the rate counter last, write. This file only types them.
import { z } from "zod";
import { EntryKind, Plan } from "../generated/prisma/enums.js";
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

const callRow = apiRow(["ok", ...GATE_STATUSES]);
const validateRow = apiRow(["ok", ...GATE_STATUSES, "stamp_not_found", ...UNUSABLE]).extend({ stamp: z.unknown() });
const createRow = apiRow(["ok", ...GATE_STATUSES, "card_not_found", "invalid_period"]).extend({ stamp_idx: z.number().nullable() });
const addRow = apiRow(["ok", ...GATE_STATUSES, "stamp_not_found", ...UNUSABLE, "card_full"]).extend(written);
const removeRow = apiRow(["ok", ...GATE_STATUSES, "stamp_not_found", "empty"]).extend(written);
const redeemRow = apiRow([
  "ok",
  ...GATE_STATUSES,
  "stamp_not_found",
  ...UNUSABLE,
  "password_missing",
  "wrong_onsite_password",
  "not_enough_stamps",
]).extend(written);
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
