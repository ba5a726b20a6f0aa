import type { Prisma } from "../generated/prisma/client.js";

/** A member named by phone (E.164) or by member number. */
export type MemberRef = { phone: string } | { memberNo: number };

/**
 * SQL run in the same statement before a change, as common table expressions that end in one
 * named `gate` with the columns `store_id int`, `pool_id int` and `allowed boolean`. It
 * authenticates the caller and counts the call (src/stampang/gate.ts; an OPEN API change counts
 * after its work instead, see WriteGate there); the change happens only when
 * it yields a row with `allowed`. Its row comes back to the caller, whatever the outcome.
 */
export type Gate = Prisma.Sql;

export interface Idempotency {
  key: string;
  /** Hash of the operation and its parameters. */
  fingerprint: string;
}

export type GateRow = Record<string, unknown> & { store_id: number; pool_id: number; allowed: boolean };

/**
 * What a change answers, applied now or replayed for a reused idempotency key: the member's
 * balance after it and, for a transfer, the receiver's (`to`).
 */
export interface ChangeAnswer {
  /** The ledger row the answer comes from (a transfer's: the giver's). */
  entryId: number;
  memberNo: number;
  balance: number;
  to: { memberNo: number; balance: number } | null;
}

/**
 * What a change came to. `gate` is null when the gate yielded no row; `refused` means the gate
 * did not allow the work; `Refusal` are the operation's own reasons for changing nothing.
 */
export type LedgerOutcome<Refusal extends string> = { gate: GateRow | null } & (
  | { status: "refused" }
  | { status: "key_reused" }
  | { status: Refusal }
  | ({ status: "applied"; /** A webhook event was queued with the change. */ queued: boolean } & ChangeAnswer)
  | ({ status: "replayed" } & ChangeAnswer)
);

export type MemberChangeOutcome = LedgerOutcome<"member_not_found" | "insufficient_balance" | "above_maximum">;
