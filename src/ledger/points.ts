// The members' balances in a pool (the OPEN API's ledger): one small function per SQL function of
// prisma/migrations/20261204100000_open_api_ledger_functions, which does the whole operation
// (gate, idempotency, locks, checks, count, write) and answers one row. Its `status` comes from
// a closed set; the row is parsed into a union discriminated by it: a success (`ok`, `applied`,
// `replayed`) with the answer's values, which must be there, or a refusal without them.
import { z } from "zod";
import type { Sql } from "../platform/db/client.js";
import { EntryKind } from "../generated/prisma/enums.js";
import { callLedger, callLedgerRows } from "./call.js";
import type { Idempotency, MemberRef } from "./types.js";

/**
 * Who calls: the store, the SHA-256 of its auth code, the time zone of its calendar days (unless
 * the store has its own), and the time of the call (the database's clock when absent; tests pin it).
 */
export interface StoreCaller {
  storeId: number;
  authCodeHash: string;
  timeZone: string;
  at?: Date;
}

/** The largest count of one save, use or transfer, by the store's unit. */
export interface CountCeilings {
  stamp: number;
  point: number;
}

const callerArgs = (c: StoreCaller) => [c.storeId, c.authCodeHash, c.timeZone, c.at ?? null];
/** A member as the functions take it: a phone, or a member number. */
const memberArgs = (m: MemberRef) => ("phone" in m ? [m.phone, null] : [null, m.memberNo]);
const keyArgs = (k: Idempotency | undefined) => [k?.key ?? null, k?.fingerprint ?? null];

const GATE_REFUSALS = ["auth_failed", "rate_limited"] as const;
const GATE_STATUSES = ["ok", ...GATE_REFUSALS] as const;
const READ_REFUSALS = [...GATE_REFUSALS, "member_not_found"] as const;
const CHANGE_SUCCESSES = ["applied", "replayed"] as const;
/** Every change: its gate, its idempotency key and the count of the call. */
const CHANGE_REFUSALS = ["key_reused", "auth_failed", "rate_limited", "member_not_found", "insufficient_balance", "above_maximum"] as const;
const BALANCE_CHANGE_REFUSALS = [...CHANGE_REFUSALS, "count_above_unit_max"] as const;
const TRANSFER_REFUSALS = [...BALANCE_CHANGE_REFUSALS, "same_member"] as const;
const REVERSAL_REFUSALS = [...CHANGE_REFUSALS, "history_not_found", "already_reversed"] as const;

export type GateStatus = (typeof GATE_STATUSES)[number];
export type ReadStatus = "ok" | (typeof READ_REFUSALS)[number];
type ChangeSuccess = (typeof CHANGE_SUCCESSES)[number];
export type ChangeStatus = ChangeSuccess | (typeof BALANCE_CHANGE_REFUSALS)[number];
export type TransferStatus = ChangeSuccess | (typeof TRANSFER_REFUSALS)[number];
export type ReversalStatus = ChangeSuccess | (typeof REVERSAL_REFUSALS)[number];

const int = z.number().int();

type Statuses = readonly [string, ...string[]];

/**
 * A function's row: a success status with the answer's values, or a refusal, whose values the
 * function leaves null and the parse drops. A caller reads the values once the status says success.
 */
function outcome<const Successes extends Statuses, const Refusals extends Statuses, Values extends z.ZodRawShape>(
  successes: Successes,
  refusals: Refusals,
  values: Values,
) {
  return z.discriminatedUnion("status", [z.object({ status: z.enum(successes), ...values }), z.object({ status: z.enum(refusals) })]);
}

const gateRow = z.object({ status: z.enum(GATE_STATUSES) });

/** Authenticates the store and counts the call (a call that locks nothing else: counted first). */
export function openApiGate(db: Sql, caller: StoreCaller) {
  return callLedger(db, "open_api_gate", callerArgs(caller), gateRow);
}

/** Part of a balance that lapses at the end of `date` (YYYY-MM-DD, the crediting store's day). */
const expiringPart = z.object({ count: int, date: z.string() });
export type ExpiringPart = z.infer<typeof expiringPart>;

/** A read brings the account up to its time first: expiring what was due may queue webhook events. */
const readValues = { queued: z.boolean() };
const balanceRow = outcome(["ok"], READ_REFUSALS, {
  member_no: int,
  balance: int,
  /** The next three dates on which part of the balance lapses; null unless asked for. */
  expiring: z.array(expiringPart).nullable(),
  ...readValues,
});

/** A member's balance in the caller's pool (a member without an account there is not found). */
export function readBalance(db: Sql, caller: StoreCaller, member: MemberRef, withExpiry = false) {
  return callLedger(db, "open_api_balance", [...callerArgs(caller), ...memberArgs(member), withExpiry], balanceRow);
}

const historyEntry = z.object({
  id: int,
  login_id: z.string(),
  /** The store's branch name, or its name when it has none. */
  place: z.string(),
  kind: z.enum(EntryKind),
  delta: int,
  /** UTC, ISO 8601 with seconds and `Z`. */
  date: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntry>;

const historyRow = outcome(["ok"], READ_REFUSALS, { member_no: int, entries: z.array(historyEntry), ...readValues });

/** One page of a member's entries in the caller's pool, newest first. */
export function readHistory(db: Sql, caller: StoreCaller, member: MemberRef, page: { number: number; size: number }) {
  return callLedger(db, "open_api_history", [...callerArgs(caller), ...memberArgs(member), page.number, page.size], historyRow);
}

const changeValues = {
  member_no: int,
  balance: int,
  /** A webhook event was queued with the change (null when it was replayed). */
  queued: z.boolean().nullable(),
};
const changeRow = outcome(CHANGE_SUCCESSES, BALANCE_CHANGE_REFUSALS, changeValues);

export interface BalanceChange {
  caller: StoreCaller;
  ceilings: CountCeilings;
  member: MemberRef;
  /** Signed: > 0 saves, < 0 uses. */
  delta: number;
  /** Register a phone unknown to the pool (save does); otherwise the member must have an account there. */
  register: boolean;
  idempotency?: Idempotency;
}

export type BalanceChangeOutcome = z.infer<typeof changeRow>;

/**
 * Saves and uses, in one transaction, each with its own outcome, in their order: as if they had
 * run one after the other (prisma/migrations/20261209000000_group_commit). The calls share the
 * first one's time zone and ceilings: the server's.
 */
export function changeBalances(db: Sql, changes: BalanceChange[]): Promise<BalanceChangeOutcome[]> {
  const { timeZone } = changes[0]!.caller;
  const { ceilings } = changes[0]!;
  const column = <T>(pick: (c: BalanceChange) => T) => changes.map(pick);
  return callLedgerRows(
    db,
    "open_api_change_balances",
    [
      timeZone,
      ceilings.stamp,
      ceilings.point,
      column((c) => c.caller.storeId),
      column((c) => c.caller.authCodeHash),
      column((c) => c.caller.at ?? null),
      column((c) => ("phone" in c.member ? c.member.phone : null)),
      column((c) => ("memberNo" in c.member ? c.member.memberNo : null)),
      column((c) => c.delta),
      column((c) => c.register),
      column((c) => c.idempotency?.key ?? null),
      column((c) => c.idempotency?.fingerprint ?? null),
    ],
    changeRow,
    changes.length,
  );
}

/** One save or use: a batch of one. */
export async function changeBalance(db: Sql, change: BalanceChange): Promise<BalanceChangeOutcome> {
  return (await changeBalances(db, [change]))[0]!;
}

const transferRow = outcome(CHANGE_SUCCESSES, TRANSFER_REFUSALS, { ...changeValues, to_member_no: int, to_balance: int });

export interface Transfer {
  caller: StoreCaller;
  ceilings: CountCeilings;
  giver: MemberRef;
  /** A phone unknown to the pool is registered. */
  receiver: MemberRef;
  count: number;
  idempotency?: Idempotency;
}

/** Moves `count` from the giver to the receiver in the caller's pool. */
export function transfer(db: Sql, t: Transfer) {
  return callLedger(
    db,
    "open_api_transfer",
    [
      ...callerArgs(t.caller),
      t.ceilings.stamp,
      t.ceilings.point,
      ...memberArgs(t.giver),
      ...memberArgs(t.receiver),
      t.count,
      ...keyArgs(t.idempotency),
    ],
    transferRow,
  );
}

const reversalRow = outcome(CHANGE_SUCCESSES, REVERSAL_REFUSALS, changeValues);

export interface Reversal {
  caller: StoreCaller;
  /** The member whose row it must be. */
  member: MemberRef;
  entryId: number;
  idempotency?: Idempotency;
}

/** Reverses one save or use of the member in the caller's pool. */
export function reverse(db: Sql, r: Reversal) {
  return callLedger(
    db,
    "open_api_reverse",
    [...callerArgs(r.caller), ...memberArgs(r.member), r.entryId, ...keyArgs(r.idempotency)],
    reversalRow,
  );
}
