// The stamp API's plans and their rate limits. The gate itself, which finds the store by the API
// key's hash, checks its plan and counts the call in the store's minute, hour and day windows, is
// the SQL function stamp_api_gate with stamp_count_call (prisma/migrations/20261204200000_stamp_functions);
// every stamp API function runs it and is given these limits.
import { Plan } from "../generated/prisma/enums.js";
import type { StampGateInput } from "../ledger/stamps.js";
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

/** The gate's inputs of a call with `apiKey` that needs `minPlan`. */
export function stampGate(apiKey: string, minPlan: Plan, timeZone: string, at: Date | undefined): StampGateInput {
  return { keyHash: digest(apiKey), minPlan, timeZone, at, planLimits: PLAN_LIMITS };
}
