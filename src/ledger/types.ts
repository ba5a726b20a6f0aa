import type { Prisma } from "../generated/prisma/client.js";

/** A member named by phone (E.164) or by member number. */
export type MemberRef = { phone: string } | { memberNo: number };

/**
 * SQL run in the same statement before a change, as common table expressions that end in one
 * named `gate` with the columns `store_id int`, `pool_id int` and `allowed boolean`. It
 * authenticates the caller and counts the call (src/stores/gate.ts); the change happens only when
 * it yields a row with `allowed`. Its row comes back to the caller, whatever the outcome.
 */
export type Gate = Prisma.Sql;

export interface Idempotency {
  key: string;
  /** Hash of the operation and its parameters. */
  fingerprint: string;
}

export type GateRow = Record<string, unknown> & { store_id: number; pool_id: number; allowed: boolean };

/** What a member change came to. `gate` is null when the gate yielded no row. */
export type MemberChangeOutcome = { gate: GateRow | null } & (
  | { status: "refused" }
  | { status: "member_not_found" }
  | { status: "insufficient_balance" }
  | { status: "above_maximum" }
  | { status: "key_reused" }
  | { status: "applied" | "replayed"; memberNo: number; balance: number; entryId: number }
);
