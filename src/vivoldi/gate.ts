// The gate in front of every stamp API call: find the store by the API key's hash, check its plan,
// and count the call in the store's minute, hour and day windows, as common table expressions run
// in the same statement as the work (see src/ledger/types.ts). The store's one rate_usage row is
// the only shared state between server instances; one conditional upsert rolls each window over
// when it has ended and counts the call in all three only when all three are below their limits,
// so the limits are exact and a refused call is counted nowhere.
import { Prisma } from "../generated/prisma/client.js";
import { Plan } from "../generated/prisma/enums.js";
import { digest } from "../platform/secrets.js";

export interface Limits {
  minute: number;
  hour: number;
  day: number;
}

/**
 * Calls per store of each plan (the spec's table). The original leaves business_plus and
 * enterprise to the operator: until the operator sets a store's overrides they get business's.
 */
export const PLAN_LIMITS: Record<Plan, Limits> = {
  free: { minute: 30, hour: 300, day: 500 },
  personal: { minute: 120, hour: 1_200, day: 2_500 },
  premium: { minute: 200, hour: 2_000, day: 3_500 },
  business: { minute: 380, hour: 3_800, day: 6_000 },
  business_plus: { minute: 380, hour: 3_800, day: 6_000 },
  enterprise: { minute: 380, hour: 3_800, day: 6_000 },
};

/** Plans in ascending order, as PostgreSQL orders the enum's values. */
export const PLANS = Object.values(Plan);

export const planAtLeast = (plan: Plan, min: Plan) => PLANS.indexOf(plan) >= PLANS.indexOf(min);

export const WINDOWS = ["minute", "hour", "day"] as const;
export type WindowName = (typeof WINDOWS)[number];

export interface StampGateInput {
  apiKey: string;
  timeZone: string;
  /** The lowest plan allowed to make this call. */
  minPlan: Plan;
  /** The time of the call; the database's clock when absent (tests pin it). */
  at?: Date;
}

/** One rate window as the gate saw it after the call. */
export interface WindowUsage {
  window: WindowName;
  limit: number;
  calls: number;
  /** When the window ends, in seconds since the epoch. */
  resets_at: number;
}

/** Columns of the gate row. `allowed` = the plan fits and the call was within every limit. */
export interface StampGateRow {
  store_id: number;
  pool_id: number;
  plan: Plan;
  plan_ok: boolean;
  within_limit: boolean;
  allowed: boolean;
  /** The calendar date of the call in the time zone (a `date` in SQL, `YYYY-MM-DD` here). */
  today: string;
  /** The time of the call, in seconds since the epoch. */
  now: number;
  /** Null when the call was not counted because the plan does not fit. */
  windows: WindowUsage[] | null;
}

const w = (name: WindowName, column: string) => Prisma.raw(`${name}_${column}`);

/** The window's calls so far, 0 once it has ended (`r` is the stored row, EXCLUDED the current). */
const callsSoFar = (name: WindowName) =>
  Prisma.sql`CASE WHEN r.${w(name, "start")} >= EXCLUDED.${w(name, "start")} THEN r.${w(name, "calls")} ELSE 0 END`;

const withinAll = Prisma.join(
  WINDOWS.map((name) => Prisma.sql`${callsSoFar(name)} < (SELECT ${w(name, "limit")} FROM auth)`),
  " AND ",
);

export function stampApiGate(g: StampGateInput): Prisma.Sql {
  const tz = g.timeZone;
  const planLimits = Prisma.join(
    PLANS.map((plan) => {
      const l = PLAN_LIMITS[plan];
      return Prisma.sql`(${plan}::text, ${l.minute}::int, ${l.hour}::int, ${l.day}::int)`;
    }),
  );
  return Prisma.sql`
    clock AS (SELECT COALESCE(${g.at ?? null}::timestamptz, now()) AS now),
    auth AS (
      SELECT s.id AS store_id, s.pool_id, s.plan, s.plan >= ${g.minPlan}::"Plan" AS plan_ok,
             COALESCE(s.limit_per_minute, p.minute) AS minute_limit,
             COALESCE(s.limit_per_hour, p.hour) AS hour_limit,
             COALESCE(s.limit_per_day, p.day) AS day_limit,
             date_trunc('minute', clock.now, ${tz}::text) AS minute_start,
             date_trunc('hour', clock.now, ${tz}::text) AS hour_start,
             date_trunc('day', clock.now, ${tz}::text) AS day_start,
             (clock.now AT TIME ZONE ${tz}::text)::date AS today,
             extract(epoch FROM clock.now) AS now
        FROM api_key k
        JOIN store s ON s.id = k.store_id AND s.active
        JOIN (VALUES ${planLimits}) p(plan, minute, hour, day) ON p.plan = s.plan::text
        CROSS JOIN clock
       WHERE k.key_hash = ${digest(g.apiKey)}::text AND k.revoked_at IS NULL
    ),
    usage AS (
      INSERT INTO rate_usage AS r (store_id, minute_start, minute_calls, hour_start, hour_calls, day_start, day_calls, last_allowed)
      SELECT store_id, minute_start, 1, hour_start, 1, day_start, 1, true FROM auth WHERE plan_ok
      ON CONFLICT (store_id) DO UPDATE SET
        ${Prisma.join(
          WINDOWS.map(
            (name) => Prisma.sql`
        ${w(name, "calls")} = ${callsSoFar(name)} + CASE WHEN ${withinAll} THEN 1 ELSE 0 END,
        ${w(name, "start")} = GREATEST(r.${w(name, "start")}, EXCLUDED.${w(name, "start")})`,
          ),
        )},
        last_allowed = ${withinAll}
      RETURNING minute_start, minute_calls, hour_start, hour_calls, day_start, day_calls, last_allowed
    ),
    gate AS (
      SELECT auth.store_id, auth.pool_id, auth.plan, auth.plan_ok, auth.today, auth.now,
             COALESCE(usage.last_allowed, false) AS within_limit,
             auth.plan_ok AND COALESCE(usage.last_allowed, false) AS allowed,
             CASE WHEN usage.last_allowed IS NOT NULL THEN jsonb_build_array(
               jsonb_build_object('window', 'minute', 'limit', auth.minute_limit, 'calls', usage.minute_calls,
                                  'resets_at', extract(epoch FROM usage.minute_start + interval '1 minute')),
               jsonb_build_object('window', 'hour', 'limit', auth.hour_limit, 'calls', usage.hour_calls,
                                  'resets_at', extract(epoch FROM usage.hour_start + interval '1 hour')),
               jsonb_build_object('window', 'day', 'limit', auth.day_limit, 'calls', usage.day_calls,
                                  'resets_at', extract(epoch FROM date_trunc('day', usage.day_start + interval '36 hours', ${tz}::text)))
             ) END AS windows
        FROM auth LEFT JOIN usage ON true
    )`;
}
