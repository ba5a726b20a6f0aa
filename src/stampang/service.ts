// The OPEN API's domain: save, use, transfer, reversal, balance and history of members in a
// store's pool. Requests arrive here already parsed; every rule of the spec that needs the
// database (authentication, the daily limit, the count ceiling of the store's unit, the balance)
// is checked by the ledger's one function call that does the work (src/ledger/points.ts), and
// its status answers through STATUS_ANSWERS: a refusal comes back as a PointsError. The service
// counts the changes applied and wakes the webhook worker; the ledger knows neither. The console
// calls it too, as one of its users (Caller.consoleLogin): the same rules, the same functions.
import type { Database, Sql } from "../platform/db/client.js";
import {
  changeBalance,
  changeBalances,
  openApiGate,
  readBalance,
  readHistory,
  reverse,
  transfer,
  type BalanceChange,
  type BalanceChangeOutcome,
  type ExpiringPart,
  type HistoryEntry,
  type StoreCaller,
} from "../ledger/points.js";
import type { MemberRef } from "../ledger/types.js";
import { asConsoleUser } from "../ledger/actor.js";
import { GroupCommit, type GroupCommitOptions } from "../ledger/group-commit.js";
import type { WebhookNudge } from "../webhooks/nudge.js";
import { ledgerBatchCalls, ledgerBatchWaiting, ledgerWrites, rateLimitRejections } from "../platform/metrics.js";
import { digest } from "../platform/secrets.js";
import { PointsError, STATUS_ANSWERS, type PointsStatus } from "./answers.js";

/**
 * Who calls: a store, by its id and the SHA-256 of its auth code (the OPEN API digests the code
 * it is sent; the console, which never knows the code, reads the store's hash).
 */
export interface Caller {
  storeId: number;
  authCodeHash: string;
  /** A console user's login: the change runs as that user (src/ledger/actor.ts), its rows carrying it. */
  consoleLogin?: string;
}

export interface Change {
  member: MemberRef;
  count: number;
  idempotencyKey?: string;
}

export interface TransferRequest extends Change {
  /** The receiver; an unknown phone is registered. */
  to: MemberRef;
}

export interface CancelRequest {
  member: MemberRef;
  /** The history row (ledger entry) to reverse. */
  historyId: number;
  idempotencyKey?: string;
}

export interface PointsConfig {
  timeZone: string;
  /** Largest `count` of one call for a point store; a stamp store's is 100. */
  pointCountMax: number;
  /** The time of calls; the database's clock when absent (tests pin it to cross an expiry). */
  clock?: () => Date;
  /** How saves and uses sent at once share a commit (src/ledger/group-commit.ts). */
  groupCommit: GroupCommitOptions;
}

export const STAMP_COUNT_MAX = 100;

export class PointsService {
  /** The largest count of one call, by the store's unit. */
  private readonly ceilings: { stamp: number; point: number };
  /** Saves and uses of the OPEN API, committed together when they arrive together. */
  private readonly changes: GroupCommit<BalanceChange, BalanceChangeOutcome>;

  constructor(
    private readonly db: Database,
    private readonly config: PointsConfig,
    /** Rung after a change that queued a webhook event commits. */
    private readonly webhooks: WebhookNudge,
  ) {
    this.ceilings = { stamp: STAMP_COUNT_MAX, point: config.pointCountMax };
    this.changes = new GroupCommit((calls) => changeBalances(db, calls), {
      ...config.groupCommit,
      onBatch: (calls) => ledgerBatchCalls.observe(calls),
      onWaiting: (calls) => ledgerBatchWaiting.set(calls),
    });
  }

  save(caller: Caller, change: Change) {
    return this.change(caller, change, "save");
  }

  use(caller: Caller, change: Change) {
    return this.change(caller, change, "use");
  }

  /** The balance; with `withExpiry`, also the next three dates on which part of it lapses. */
  async balance(
    caller: Caller,
    member: MemberRef,
    withExpiry = false,
  ): Promise<{ memberNo: number; balance: number; expiring: ExpiringPart[] | null }> {
    const read = await readBalance(this.db, this.storeCaller(caller), member, withExpiry);
    this.settleRead(read);
    return { memberNo: read.member_no, balance: read.balance, expiring: read.expiring };
  }

  async history(caller: Caller, member: MemberRef, page: { number: number; size: number }): Promise<HistoryEntry[]> {
    const read = await readHistory(this.db, this.storeCaller(caller), member, page);
    this.settleRead(read);
    return read.entries;
  }

  /**
   * A request whose parameters are bad still authenticates and counts as a call: answers the
   * gate's refusal if there is one, otherwise `failure`.
   */
  async reject(caller: Caller, failure: PointsError): Promise<never> {
    settle(await openApiGate(this.db, this.storeCaller(caller)));
    throw failure;
  }

  /** Moves `count` from `member` to `to` in the store's pool. */
  async transfer(
    caller: Caller,
    t: TransferRequest,
  ): Promise<{ memberNo: number; balance: number; to: { memberNo: number; balance: number } }> {
    const out = await this.write(caller, (sql) =>
      transfer(sql, {
        caller: this.storeCaller(caller),
        ceilings: this.ceilings,
        giver: t.member,
        receiver: t.to,
        count: t.count,
        idempotency: idempotency(t.idempotencyKey, "transfer", t.member, t.to, t.count),
      }),
    );
    this.settleChange(out, "transfer");
    return { memberNo: out.member_no, balance: out.balance, to: { memberNo: out.to_member_no, balance: out.to_balance } };
  }

  /** Reverses one save or use of the member in the store's pool. */
  async cancel(caller: Caller, c: CancelRequest): Promise<{ memberNo: number; balance: number }> {
    const out = await this.write(caller, (sql) =>
      reverse(sql, {
        caller: this.storeCaller(caller),
        member: c.member,
        entryId: c.historyId,
        idempotency: idempotency(c.idempotencyKey, "cancel", c.member, c.historyId),
      }),
    );
    this.settleChange(out, "reversal");
    return { memberNo: out.member_no, balance: out.balance };
  }

  private async change(caller: Caller, c: Change, kind: "save" | "use"): Promise<{ memberNo: number; balance: number }> {
    const call: BalanceChange = {
      caller: this.storeCaller(caller),
      ceilings: this.ceilings,
      member: c.member,
      delta: kind === "save" ? c.count : -c.count,
      register: kind === "save",
      idempotency: idempotency(c.idempotencyKey, kind, c.member, c.count),
    };
    // A console user's change runs alone, in the transaction that names the user on its rows.
    const out =
      caller.consoleLogin === undefined ? await this.changes.submit(call) : await this.write(caller, (sql) => changeBalance(sql, call));
    this.settleChange(out, kind);
    return { memberNo: out.member_no, balance: out.balance };
  }

  /** Runs a change's ledger call: as the console user when there is one, so that its rows carry the login. */
  private write<T>(caller: Caller, call: (sql: Sql) => Promise<T>): Promise<T> {
    return caller.consoleLogin === undefined ? call(this.db) : asConsoleUser(this.db, caller.consoleLogin, call);
  }

  /** Answers a read's status; a read that expired what was due and queued its events wakes the worker. */
  private settleRead<Row extends { status: PointsStatus }>(read: Row): asserts read is Settled<Row> {
    settle(read);
    if ("queued" in read && read.queued) this.webhooks.ring();
  }

  /** Answers a change's status; an applied change is counted and, when it queued an event, wakes the worker. */
  private settleChange<Row extends ChangeRow>(out: Row, kind: string): asserts out is Settled<Row> {
    settle(out);
    if (out.status !== "applied") return;
    ledgerWrites.inc({ kind });
    if (out.queued) this.webhooks.ring();
  }

  private storeCaller(caller: Caller): StoreCaller {
    return { storeId: caller.storeId, authCodeHash: caller.authCodeHash, timeZone: this.config.timeZone, at: this.config.clock?.() };
  }
}

/** A ledger function's row once its status is a success (STATUS_ANSWERS answers "success"), with the answer's values. */
type Settled<Row extends { status: PointsStatus }> = Extract<Row, { status: "ok" | "applied" | "replayed" }>;

/** A change's row: applied or replayed with whether it queued a webhook event, or refused. */
type ChangeRow =
  { status: "applied" | "replayed"; queued: boolean | null } | { status: Exclude<PointsStatus, "ok" | "applied" | "replayed"> };

/** Returns for a success; throws the PointsError of a refusal. */
function settle<Row extends { status: PointsStatus }>(row: Row): asserts row is Settled<Row> {
  const answer = STATUS_ANSWERS[row.status];
  if (answer === "success") return;
  if (answer.reason === "rate_limited") rateLimitRejections.inc({ api: "open" });
  throw new PointsError(answer.reason, answer.detail);
}

/** The idempotency record of a call: its key and what identifies the operation and its parameters. */
function idempotency(key: string | undefined, operation: string, ...params: (MemberRef | number)[]) {
  if (key === undefined) return undefined;
  const text = params.map((p) => (typeof p === "number" ? p : "phone" in p ? `phone:${p.phone}` : `no:${p.memberNo}`));
  return { key, fingerprint: digest([operation, ...text].join("|")) };
}
