import type { Prisma } from "../generated/prisma/client.js";

/** A member named by phone (E.164) or by member number. */
export type MemberRef = { phone: string } | { memberNo: number };

/**
 * SQL run in the same statement before a stamp change, as common table expressions that end in
 * one named `gate` with the columns `store_id int`, `pool_id int` and `allowed boolean`. It
 * authenticates the caller and counts the call (src/vivoldi/gate.ts); the change happens only
 * when it yields a row with `allowed`. Its row comes back to the caller, whatever the outcome.
 */
export type Gate = Prisma.Sql;

export type GateRow = Record<string, unknown> & { store_id: number; pool_id: number; allowed: boolean };

export interface Idempotency {
  key: string;
  /** Hash of the operation and its parameters. */
  fingerprint: string;
}
