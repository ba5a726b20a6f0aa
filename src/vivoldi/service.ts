// The stamp API's domain: issue, validate, add, remove, update, redeem and delete stamps of the
// API key's store. Requests arrive here already parsed; every rule that needs the database (the
// key, the plan, the rate limits, ownership, state, validity and the count bounds) is checked
// inside the one ledger function that does the work (src/ledger/stamps.ts), and each refusal
// comes back as a StampError. Every answer carries the caller's rate-limit state. The service
// reports what the ledger wrote: the ledger-writes metric and the webhook nudge.
import { randomInt } from "node:crypto";
import type { Database, Sql } from "../platform/db/client.js";
import type { EntryKind, Plan } from "../generated/prisma/enums.js";
import {
  addStamp,
  addStampOfStore,
  addStampOnSite,
  countApiCall,
  countPinGuess,
  deleteStamp,
  openStamp,
  openStampOfStore,
  readStampPage,
  readStoreStamps,
  redeemStamp,
  redeemStampOfStore,
  removeStamp,
  setStampActiveOfStore,
  updateStamp,
  validateStamp,
  type ApiCallRow,
  type ConsoleAddStatus,
  type ConsoleCreateStatus,
  type ConsoleRedeemStatus,
  type StampFilter,
  type GuessCount,
  type PageAddStatus,
  type StampApiStatus,
  type StampFields,
  type StampUpdate,
  type StampView,
  type Unusable,
} from "../ledger/stamps.js";
import { asConsoleUser } from "../ledger/actor.js";
import { unreachable } from "../platform/errors.js";
import { ledgerWrites, rateLimitRejections } from "../platform/metrics.js";
import { newSecret } from "../platform/secrets.js";
import type { WebhookNudge } from "../webhooks/nudge.js";
import type { StampFailure } from "./answers.js";
import { planAtLeast, stampGate } from "./gate.js";
import { GUESS_RULES } from "./page/throttle.js";
import { stampPayloadSchema, type StampPayloadV1 } from "./payload.js";
import { rateReport, type RateReport } from "./rate.js";

export class StampError extends Error {
  override name = "StampError";
  constructor(
    readonly reason: StampFailure,
    /** What was wrong, in words (for invalid_param it names the parameter); else the answer's own, if any. */
    readonly detail?: string,
    /** The caller's rate-limit state, when the call got that far. */
    readonly rate?: RateReport,
    /** The API key's store, when the key was known. */
    readonly storeId?: number,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

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

/** What every stamp API function answers besides its own values. */
type ApiRow = Omit<ApiCallRow, "status"> & { status: StampApiStatus };

/** What a change reports besides its status: whether it queued a webhook event, and the kinds of ledger rows it wrote. */
interface Written {
  queued: boolean | null;
  kinds: EntryKind[] | null;
}

/** Who changes stamps in the console: the logged-in user's store, and login (kept on the ledger rows). */
export interface ConsoleActor {
  storeId: number;
  login: string;
}

/** A stamp issued by the console, valid from today for `months` months. */
export interface ConsoleIssue {
  cardIdx: number;
  /** The customer's phone as the shop writes it (displayPhone of the normalised number): userPhnno. */
  phone: string;
  userName: string | null;
  months: number;
}

/** What the console's add did: its status, and the stamp's count and maximum (null when it is not found). */
export interface ConsoleAdd {
  status: ConsoleAddStatus;
  stamps: number | null;
  maxStamps: number | null;
}

/** A stamp as the console lists it: the API's object, and whether its benefit was used. */
export interface StoreStamp {
  stamp: StampPayloadV1;
  used: boolean;
}

export class StampService {
  constructor(
    private readonly db: Database,
    private readonly config: StampConfig,
    /** Rung after a change that queued a webhook event commits. */
    private readonly webhooks: WebhookNudge,
  ) {}

  // The stamp API's calls, by API key.

  async validate(apiKey: string, stampIdx: number): Promise<Answer<StampPayloadV1>> {
    const row = await validateStamp(this.db, this.gate(apiKey), this.view(), stampIdx);
    return { ...passGate(row), result: stampPayloadSchema.parse(row.stamp) };
  }

  async create(apiKey: string, s: NewStampInput): Promise<Answer<number>> {
    const domain = this.ownDomain(s.domain);
    const row = await openStamp(this.db, this.gate(apiKey, domain), {
      ...s,
      domain,
      userId: s.userId ?? newUserId(),
      pageCode: newSecret(16),
    });
    const passed = passGate(row);
    if (row.stamp_idx === null) throw new Error("stamp_create answered ok without a stamp");
    return { ...passed, result: row.stamp_idx };
  }

  async add(apiKey: string, stampIdx: number): Promise<Answer<null>> {
    return this.changed(await addStamp(this.db, this.gate(apiKey), this.view(), stampIdx));
  }

  async remove(apiKey: string, stampIdx: number): Promise<Answer<null>> {
    return this.changed(await removeStamp(this.db, this.gate(apiKey), this.view(), stampIdx));
  }

  async redeem(apiKey: string, stampIdx: number, onsitePassword: string | null): Promise<Answer<null>> {
    return this.changed(await redeemStamp(this.db, this.gate(apiKey), this.view(), stampIdx, onsitePassword));
  }

  async update(apiKey: string, stampIdx: number, u: StampUpdate): Promise<Answer<null>> {
    const domain = this.ownDomain(u.domain);
    return this.changed(await updateStamp(this.db, this.gate(apiKey, domain), this.view(), stampIdx, { ...u, domain }));
  }

  async delete(apiKey: string, stampIdx: number): Promise<Answer<null>> {
    return { ...passGate(await deleteStamp(this.db, this.gate(apiKey), stampIdx)), result: null };
  }

  /**
   * The stamp of a stamp page as validate shows it, and why it is not usable now, if it is not.
   * Null: no such page.
   */
  async readPage(stampIdx: number, pageCode: string): Promise<{ stamp: StampPayloadV1; unusable: Unusable | null } | null> {
    const row = await readStampPage(this.db, { stampIdx, pageCode, at: this.config.clock?.() }, this.view());
    switch (row.status) {
      case "stamp_not_found":
        return null;
      case "ok":
        return { stamp: stampPayloadSchema.parse(row.stamp), unusable: null };
      case "inactive":
      case "not_started":
      case "expired":
      case "already_used":
        return { stamp: stampPayloadSchema.parse(row.stamp), unusable: row.status };
      default:
        return unreachable(row.status);
    }
  }

  /**
   * Adds one stamp from the stamp page after the card's on-site password, by the ledger's add
   * with the API's rules. `guess` is the page throttle's count of the password guess; refusal
   * wrong_onsite_password covers a locked page too (`guess.counted` false).
   */
  async addOnSite(
    stampIdx: number,
    pageCode: string,
    password: string,
  ): Promise<{ refusal: Exclude<PageAddStatus, "ok"> | null; guess: GuessCount }> {
    const row = await addStampOnSite(this.db, { stampIdx, pageCode, at: this.config.clock?.() }, password, this.view(), GUESS_RULES);
    this.wrote(row);
    const guess = { counted: row.counted, failures: row.failures, locked_until: row.locked_until };
    return { refusal: row.status === "ok" ? null : row.status, guess };
  }

  /** Counts a guess of a stamp page's PIN, as wrong until the caller has checked it. */
  countPinGuess(stampIdx: number): Promise<GuessCount> {
    return countPinGuess(this.db, stampIdx, GUESS_RULES);
  }

  /**
   * A request whose parameters are bad still needs a valid key and counts as a call: answers the
   * gate's refusal if there is one, otherwise `failure` with the rate-limit state.
   */
  async reject(apiKey: string, failure: StampError): Promise<never> {
    const { rate, storeId } = passGate(await countApiCall(this.db, this.gate(apiKey)));
    throw new StampError(failure.reason, failure.detail, rate, storeId);
  }

  // The console's calls, by the logged-in user's store, with the API's rules but the gate (no key,
  // plan or rate counter) and the on-site password, and with guards against a second tap.

  /** Issues a card to a customer, unless the customer holds an open stamp of it (`already_open`: stampIdx is that one). */
  async issueOfStore(by: ConsoleActor, s: ConsoleIssue): Promise<{ status: ConsoleCreateStatus; stampIdx: number | null }> {
    const row = await this.asUser(by, (sql) =>
      openStampOfStore(sql, this.storeCaller(by), {
        cardIdx: s.cardIdx,
        months: s.months,
        pageCode: newSecret(16),
        userId: newUserId(),
        userPhone: s.phone,
        userName: s.userName,
      }),
    );
    return { status: row.status, stampIdx: row.stamp_idx };
  }

  /**
   * Adds one stamp to a stamp that holds `expected` (as the user saw it); `stamps`: the count
   * afterwards, or now; `maxStamps`: the stamp's maximum (both null when it is not found).
   */
  async addOfStore(by: ConsoleActor, stampIdx: number, expected: number): Promise<ConsoleAdd> {
    const row = await this.asUser(by, (sql) => addStampOfStore(sql, this.storeCaller(by), this.view(), stampIdx, expected));
    this.wrote(row);
    return { status: row.status, stamps: row.stamps, maxStamps: row.max_stamps };
  }

  async redeemOfStore(by: ConsoleActor, stampIdx: number): Promise<ConsoleRedeemStatus> {
    const row = await this.asUser(by, (sql) => redeemStampOfStore(sql, this.storeCaller(by), this.view(), stampIdx));
    this.wrote(row);
    return row.status;
  }

  /** Deactivates, or activates again, a stamp of the store. */
  async setActiveOfStore(by: ConsoleActor, stampIdx: number, active: boolean): Promise<"ok" | "stamp_not_found"> {
    return (await this.asUser(by, (sql) => setStampActiveOfStore(sql, by.storeId, stampIdx, active))).status;
  }

  /** Stamps of the store, newest first (of a card, or one stamp). */
  async listOfStore(storeId: number, filter: StampFilter): Promise<StoreStamp[]> {
    const rows = await readStoreStamps(this.db, storeId, this.view(), filter);
    return rows.map((r) => ({ stamp: stampPayloadSchema.parse(r.stamp), used: r.used }));
  }

  /** Runs a console change in one transaction whose ledger rows name the user (ledger_entry.console_login). */
  private asUser<T>(by: ConsoleActor, run: (sql: Sql) => Promise<T>): Promise<T> {
    return asConsoleUser(this.db, by.login, run);
  }

  private storeCaller(by: ConsoleActor) {
    return { storeId: by.storeId, timeZone: this.config.timeZone, at: this.config.clock?.() };
  }

  /** Reports what a change wrote (the metric, the webhook nudge), then its answer. */
  private changed(row: ApiRow & Written): Answer<null> {
    this.wrote(row);
    return { ...passGate(row), result: null };
  }

  private wrote(row: Written): void {
    for (const kind of row.kinds ?? []) ledgerWrites.inc({ kind });
    if (row.queued) this.webhooks.ring();
  }

  /** The server's own URL is stored as null (the default), so it follows PUBLIC_BASE_URL. */
  private ownDomain(domain: string | null | undefined): string | null | undefined {
    return domain === this.config.publicBaseUrl ? null : domain;
  }

  private view(): StampView {
    return { timeZone: this.config.timeZone, publicBaseUrl: this.config.publicBaseUrl };
  }

  /** The gate of a call: a domain of its own needs a higher plan than the API itself. */
  private gate(apiKey: string, domain?: string | null) {
    return stampGate(apiKey, domain ? CUSTOM_DOMAIN_PLAN : API_PLAN, this.config.timeZone, this.config.clock?.());
  }
}

/**
 * Throws the call's refusal, with the rate-limit state once the call was counted; otherwise the
 * rate-limit state of the counted call and the key's store.
 */
function passGate(row: ApiRow): { rate: RateReport; storeId: number } {
  const storeId = row.store_id ?? undefined;
  const rate = row.windows && row.called_at !== null ? rateReport(row.windows, row.status !== "rate_limited", row.called_at) : undefined;
  if (row.status === "ok") {
    if (!rate || storeId === undefined) throw new Error("a stamp function answered ok without counting the call");
    return { rate, storeId };
  }
  if (row.status === "rate_limited") rateLimitRejections.inc({ api: "stamp" });
  throw new StampError(row.status, row.status === "plan_required" ? planDetail(row.plan) : undefined, rate, storeId);
}

function planDetail(plan: Plan | null): string | undefined {
  if (plan === null) return undefined;
  return planAtLeast(plan, API_PLAN)
    ? `a domain of its own needs plan ${CUSTOM_DOMAIN_PLAN} or higher (this account: ${plan})`
    : `the stamp API needs plan ${API_PLAN} or higher (this account: ${plan})`;
}
