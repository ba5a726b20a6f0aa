// The gate in front of every OPEN API call: authenticate the store and count the call against its
// daily limit, as common table expressions run in the same statement as the work (see
// src/ledger/types.ts). The counter row is the only shared state between server instances, and
// its conditional upsert makes the limit exact: once `calls` reaches the limit no further call
// gets a row back.
import { Prisma } from "../generated/prisma/client.js";
import { digest } from "../secrets.js";

export interface GateInput {
  storeId: number;
  authCode: string;
  timeZone: string;
  /** Extra condition on the authenticated store (`auth.unit`, ...) that must hold; its value comes back as `valid`. */
  validity?: Prisma.Sql;
}

/** Columns of the gate row: `allowed` = authenticated, within the limit and valid. */
export interface OpenGateRow {
  store_id: number;
  pool_id: number;
  within_limit: boolean;
  valid: boolean;
  allowed: boolean;
}

export function openApiGate(g: GateInput): Prisma.Sql {
  const validity = g.validity ?? Prisma.sql`true`;
  return Prisma.sql`
    auth AS (
      SELECT id AS store_id, pool_id, unit, daily_limit FROM store
       WHERE id = ${g.storeId}::int AND auth_code_hash = ${digest(g.authCode)}::text AND active
    ),
    usage AS (
      INSERT INTO daily_usage AS u (store_id, day, calls)
      SELECT store_id, (now() AT TIME ZONE ${g.timeZone}::text)::date, 1 FROM auth
      ON CONFLICT (store_id, day) DO UPDATE SET calls = u.calls + 1
       WHERE u.calls < (SELECT daily_limit FROM auth)
      RETURNING calls
    ),
    gate AS (
      SELECT auth.store_id, auth.pool_id,
             usage.calls IS NOT NULL AS within_limit,
             (${validity}) AS valid,
             usage.calls IS NOT NULL AND (${validity}) AS allowed
        FROM auth LEFT JOIN usage ON true
    )`;
}
