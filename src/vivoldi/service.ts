// The stamp API's domain: issue, validate, add, remove, update, redeem and delete stamps of the
// API key's store. Requests arrive here already parsed; every rule that needs the database (the
// key, the plan, the rate limits, ownership, state, validity and the count bounds) is checked
// inside the one statement that does the work (src/ledger/stamp-change.ts), and each refusal
// comes back as a StampError. Every answer carries the caller's rate-limit state.
import { randomInt } from "node:crypto";
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { Plan } from "../generated/prisma/enums.js";
import {
  changeStamp,
  deleteStamp,
  openStamp,
  readStamp,
  updateStamp,
  type StampContext,
  type StampFields,
  type StampOutcome,
  type StampRefusal,
  type StampUpdate,
} from "../ledger/stamp-change.js";
import type { Gate, GateRow } from "../ledger/types.js";
import { rateLimitRejections } from "../platform/metrics.js";
import { newSecret } from "../platform/secrets.js";
import type { WebhookNudge } from "../webhooks/nudge.js";
import { planAtLeast, stampApiGate, type StampGateRow } from "./gate.js";
import { onSiteGate, pageReadGate, type OnSiteGateRow } from "./page/gate.js";
import type { GuessCount } from "./page/throttle.js";
import type { StampPayloadV1 } from "./payload.js";
import { rateReport, type RateReport } from "./rate.js";

export type StampFailure =
  | "invalid_param"
  | "unauthorized"
  | "plan_required"
  | "rate_limited"
  | "stamp_not_found"
  | "not_started"
  | "expired"
  | "inactive"
  | "already_used"
  | "card_full"
  | "not_enough_stamps"
  | "wrong_onsite_password"
  | "card_not_found"
  | "invalid_period";

export class StampError extends Error {
  override name = "StampError";
  constructor(
    readonly reason: StampFailure,
    /** What was wrong, in words (for invalid_param it names the parameter). */
    readonly detail?: string,
    /** The caller's rate-limit state, when the call got that far. */
    readonly rate?: RateReport,
    /** The API key's store, when the key was known. */
    readonly storeId?: number,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

/** What each refusal of the ledger means to the caller. */
const REFUSALS: Record<StampRefusal, { reason: StampFailure; detail?: string }> = {
  not_found: { reason: "stamp_not_found" },
  inactive: { reason: "inactive" },
  not_started: { reason: "not_started" },
  expired: { reason: "expired" },
  used: { reason: "already_used" },
  full: { reason: "card_full" },
  empty: { reason: "not_enough_stamps", detail: "the stamp has no stamp to remove" },
  not_enough: { reason: "not_enough_stamps" },
  password_missing: { reason: "invalid_param", detail: "onsitePwd is required: the card has onsiteYn=Y" },
  wrong_password: { reason: "wrong_onsite_password" },
  card_not_found: { reason: "card_not_found" },
  invalid_period: { reason: "invalid_period", detail: "strtYmd must not be after endYmd, and endYmd at most 5 years from today" },
  above_maximum: { reason: "invalid_param", detail: "stamps is above the card's maxStamps" },
  above_new_maximum: {
    reason: "invalid_param",
    detail: "cardIdx: the stamp holds more stamps than that card's maxStamps; give stamps too",
  },
};

/** A successful call's result, the caller's rate-limit state and the API key's store. */
export interface Answer<T> {
  result: T;
  rate: RateReport;
  storeId: number;
}

export interface NewStampInput extends Omit<StampFields, "userId"> {
  cardIdx: number;
  validFrom: string;
  validUntil: string;
  /** Generated when absent. */
  userId?: string;
}

export interface StampConfig {
  timeZone: string;
  /** The server's own URL: the default domain of stamps. */
  publicBaseUrl: string;
  /** The time of calls; the database's clock when absent. */
  clock?: () => Date;
}

const API_PLAN: Plan = "personal";
const CUSTOM_DOMAIN_PLAN: Plan = "premium";

const USER_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A user id like the original's (`NKkDu9X4p4mQ`): 12 random letters and digits. */
function newUserId(): string {
  return Array.from({ length: 12 }, () => USER_ID_ALPHABET[randomInt(USER_ID_ALPHABET.length)]).join("");
}

export class StampService {
  constructor(
    private readonly db: Sql,
    private readonly config: StampConfig,
    /** Rung after a change that queued a webhook event commits. */
    private readonly webhooks: WebhookNudge,
  ) {}

  async validate(apiKey: string, stampIdx: number): Promise<Answer<StampPayloadV1>> {
    const out = await readStamp(this.db, this.context(apiKey), stampIdx);
    return { ...this.settle(out), result: out.stamp! };
  }

  async create(apiKey: string, s: NewStampInput): Promise<Answer<number>> {
    const domain = this.ownDomain(s.domain);
    const out = await openStamp(this.db, this.context(apiKey, domain).gate, {
      ...s,
      domain,
      userId: s.userId ?? newUserId(),
      pageCode: newSecret(16),
    });
    return { ...this.settle(out), result: out.stampIdx! };
  }

  add(apiKey: string, stampIdx: number): Promise<Answer<null>> {
    return this.change(changeStamp(this.db, this.context(apiKey), stampIdx, { action: "add" }));
  }

  remove(apiKey: string, stampIdx: number): Promise<Answer<null>> {
    return this.change(changeStamp(this.db, this.context(apiKey), stampIdx, { action: "remove" }));
  }

  redeem(apiKey: string, stampIdx: number, onsitePassword: string | null): Promise<Answer<null>> {
    return this.change(changeStamp(this.db, this.context(apiKey), stampIdx, { action: "redeem", onsitePassword }));
  }

  update(apiKey: string, stampIdx: number, u: StampUpdate): Promise<Answer<null>> {
    const domain = this.ownDomain(u.domain);
    return this.change(updateStamp(this.db, this.context(apiKey, domain), stampIdx, { ...u, domain }));
  }

  delete(apiKey: string, stampIdx: number): Promise<Answer<null>> {
    return this.change(deleteStamp(this.db, this.context(apiKey), stampIdx));
  }

  /**
   * The stamp of a stamp page as validate shows it, and why it is not usable now (the ledger's
   * reasons: inactive, not_started, expired, used), if it is not. Null: no such page.
   */
  async readPage(stampIdx: number, pageCode: string): Promise<{ stamp: StampPayloadV1; unusable: StampRefusal | null } | null> {
    const out = await readStamp(this.db, this.withView(pageReadGate(this.pageGateInput(pageCode))), stampIdx);
    return out.stamp ? { stamp: out.stamp, unusable: out.refusal } : null;
  }

  /**
   * Adds one stamp from the stamp page after the card's on-site password, by the ledger's add
   * with the API's rules. `guess` is the page throttle's count of the password guess; refusal
   * wrong_onsite_password covers a locked page too (`guess.counted` false).
   */
  async addOnSite(stampIdx: number, pageCode: string, password: string): Promise<{ refusal: StampFailure | null; guess: GuessCount }> {
    const gateSql = onSiteGate({ ...this.pageGateInput(pageCode), password });
    const out = await changeStamp(this.db, this.withView(gateSql), stampIdx, { action: "add" });
    const gate = out.gate as OnSiteGateRow | null;
    if (!gate) return { refusal: "stamp_not_found", guess: { counted: false, failures: 0, locked_until: null } };
    const guess = { counted: gate.counted, failures: gate.failures, locked_until: gate.locked_until };
    if (!gate.allowed) return { refusal: "wrong_onsite_password", guess };
    if (out.refusal) return { refusal: REFUSALS[out.refusal].reason, guess };
    if (out.queued) this.webhooks.ring();
    return { refusal: null, guess };
  }

  /**
   * A request whose parameters are bad still needs a valid key and counts as a call: answers the
   * gate's refusal if there is one, otherwise `failure` with the rate-limit state.
   */
  async reject(apiKey: string, failure: StampError): Promise<never> {
    const [row] = await this.db.query<{ gate: GateRow | null }>(Prisma.sql`
      WITH ${this.context(apiKey).gate} SELECT to_jsonb(gate) AS gate FROM (SELECT 1) one LEFT JOIN gate ON true`);
    const { rate, storeId } = passGate(row!.gate);
    throw new StampError(failure.reason, failure.detail, rate, storeId);
  }

  private async change(run: Promise<StampOutcome>): Promise<Answer<null>> {
    const out = await run;
    const answer = { ...this.settle(out), result: null };
    if (out.queued) this.webhooks.ring();
    return answer;
  }

  /** Throws the gate's or the ledger's refusal, if any; otherwise the caller's rate-limit state and store. */
  private settle(out: StampOutcome): { rate: RateReport; storeId: number } {
    const passed = passGate(out.gate);
    if (out.refusal) {
      const r = REFUSALS[out.refusal];
      throw new StampError(r.reason, r.detail, passed.rate, passed.storeId);
    }
    return passed;
  }

  /** The server's own URL is stored as null (the default), so it follows PUBLIC_BASE_URL. */
  private ownDomain(domain: string | null | undefined): string | null | undefined {
    return domain === this.config.publicBaseUrl ? null : domain;
  }

  /** The page's code is the key of a stamp page's gate. */
  private pageGateInput(pageCode: string) {
    return { pageCode, timeZone: this.config.timeZone, at: this.config.clock?.() };
  }

  /** A statement's gate with how stamps are shown. */
  private withView(gate: Gate): StampContext {
    const { timeZone, publicBaseUrl } = this.config;
    return { gate, view: { timeZone, publicBaseUrl } };
  }

  /** The gate of a call (a domain of its own needs a higher plan than the API itself) and the view. */
  private context(apiKey: string, domain?: string | null): StampContext {
    const minPlan = domain ? CUSTOM_DOMAIN_PLAN : API_PLAN;
    return this.withView(stampApiGate({ apiKey, timeZone: this.config.timeZone, minPlan, at: this.config.clock?.() }));
  }
}

/** Throws the gate's refusal, if it refused; otherwise the rate-limit state of the counted call and the key's store. */
function passGate(row: GateRow | null): { rate: RateReport; storeId: number } {
  const gate = row as unknown as StampGateRow | null;
  if (!gate) throw new StampError("unauthorized");
  const storeId = gate.store_id;
  if (!gate.plan_ok) {
    throw new StampError(
      "plan_required",
      planAtLeast(gate.plan, API_PLAN)
        ? `a domain of its own needs plan ${CUSTOM_DOMAIN_PLAN} or higher (this account: ${gate.plan})`
        : `the stamp API needs plan ${API_PLAN} or higher (this account: ${gate.plan})`,
      undefined,
      storeId,
    );
  }
  const rate = rateReport(gate.windows!, gate.within_limit, gate.now);
  if (!gate.within_limit) {
    rateLimitRejections.inc({ api: "stamp" });
    throw new StampError("rate_limited", undefined, rate, storeId);
  }
  return { rate, storeId };
}
