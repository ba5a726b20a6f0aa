// The gate in front of every OPEN API call: authenticate the store and count the call against its
// daily limit, as common table expressions run in the same statement as the work (see
// src/ledger/types.ts). The counter row is the only shared state between server instances, and
// its conditional upsert makes the limit exact: once `calls` reaches the limit no further call
// gets a row back.
//
// The counter row is locked from its update until the statement commits, so every call of the
// store waits while another holds it: it must never be held while waiting for anything else. A
// read (openApiGate) takes no other lock, so it counts first. A change (openApiWriteGate) would
// wait for the rows it locks (a member's account that another call holds) with the counter held,
// stalling the whole store; so it counts last, after its work, and the statement fails with
// DAILY_LIMIT_REACHED (rolling the work back) when the counter refuses it then. See
// docs/scaling.md ("The daily limit") for why the limit stays exact.
import { Prisma } from "../generated/prisma/client.js";
import { digest } from "../platform/secrets.js";

export interface GateInput {
  storeId: number;
  authCode: string;
  timeZone: string;
  /** Extra condition on the authenticated store (`auth.unit`, ...) that must hold; its value comes back as `valid`. */
  validity?: Prisma.Sql;
}

/** Columns of the gate row (of a change: as the statement answers it): `allowed` = authenticated, within the limit and valid. */
export interface OpenGateRow {
  store_id: number;
  pool_id: number;
  within_limit: boolean;
  allowed: boolean;
}

/** SQLSTATE of the error of daily_limit_reached(): the counter refused a change that was made. */
export const DAILY_LIMIT_REACHED = "SW002";

/** CTE `auth`: the store, when the code is right and it is active, and its day in the time zone. */
function auth(g: GateInput): Prisma.Sql {
  return Prisma.sql`
    auth AS (
      SELECT id AS store_id, pool_id, unit, daily_limit, (now() AT TIME ZONE ${g.timeZone}::text)::date AS day FROM store
       WHERE id = ${g.storeId}::int AND auth_code_hash = ${digest(g.authCode)}::text AND active
    )`;
}

/** CTE `usage` (`calls`): counts the call when `calls` is below the limit; no row when it is not. */
function countCall(when: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    usage AS (
      INSERT INTO daily_usage AS u (store_id, day, calls)
      SELECT store_id, day, 1 FROM auth WHERE ${when}
      ON CONFLICT (store_id, day) DO UPDATE SET calls = u.calls + 1
       WHERE u.calls < (SELECT daily_limit FROM auth)
      RETURNING calls
    )`;
}

/** The gate of a call that locks nothing else (a read, a refusal of bad parameters): it counts first. */
export function openApiGate(g: Omit<GateInput, "validity">): Prisma.Sql {
  return Prisma.sql`${auth(g)},
    ${countCall(Prisma.sql`true`)},
    gate AS (
      SELECT auth.store_id, auth.pool_id, usage.calls IS NOT NULL AS within_limit, usage.calls IS NOT NULL AS allowed
        FROM auth LEFT JOIN usage ON true
    )`;
}

/** The gate of a change, in two parts: `gate` before the work, `count` after it. */
export interface WriteGate {
  /**
   * CTEs ending in `gate` (`store_id`, `pool_id`, `allowed`): the store authenticated,
   * the call valid, and the counter below the limit as this statement's snapshot saw it (calls
   * only grow within a day, so a call refused here would be refused by the counter too).
   */
  gate: Prisma.Sql;
  /**
   * CTE `usage` that counts the call; `after` is a condition that reads the work's last CTEs, so
   * that the counter row is locked only once the work has taken its own locks.
   */
  count(after: Prisma.Sql): Prisma.Sql;
}

export function openApiWriteGate(g: GateInput): WriteGate {
  const validity = g.validity ?? Prisma.sql`true`;
  return {
    gate: Prisma.sql`${auth(g)},
    seen AS (SELECT calls FROM daily_usage, auth WHERE daily_usage.store_id = auth.store_id AND daily_usage.day = auth.day),
    gate AS (
      SELECT auth.store_id, auth.pool_id,
             COALESCE((SELECT calls FROM seen), 0) < auth.daily_limit AND (${validity}) AS allowed
        FROM auth
    )`,
    count: (after) => countCall(after),
  };
}
