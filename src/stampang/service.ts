// The OPEN API's domain: save, use, transfer, reversal, balance and history of members in a
// store's pool. Requests arrive here already parsed; every rule of the spec that needs the
// database (authentication, the daily limit, the count ceiling of the store's unit, the balance)
// is checked inside the one statement that does the work, and each refusal comes back as a
// PointsError.
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import { changeMemberBalance } from "../ledger/member-change.js";
import { readMemberBalance, readMemberHistory, type HistoryEntry } from "../ledger/reads.js";
import { reverseEntry, type ReversalOutcome } from "../ledger/reversal.js";
import { transferBetweenMembers, type TransferOutcome } from "../ledger/transfer.js";
import type { ChangeAnswer, GateRow, MemberChangeOutcome, MemberRef } from "../ledger/types.js";
import { openApiGate, openApiWriteGate, type OpenGateRow } from "./gate.js";
import type { WebhookNudge } from "../webhooks/nudge.js";
import { rateLimitRejections } from "../platform/metrics.js";
import { digest } from "../platform/secrets.js";

export type PointsFailure =
  | "auth_failed"
  | "invalid_param"
  | "invalid_phone"
  | "invalid_count"
  | "member_not_found"
  | "insufficient_balance"
  | "rate_limited"
  | "duplicate_request"
  | "already_reversed"
  | "history_not_found";

export class PointsError extends Error {
  override name = "PointsError";
  constructor(
    readonly reason: PointsFailure,
    /** What was wrong, for invalid_param (the parameter's name). */
    readonly detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

export interface Caller {
  storeId: number;
  authCode: string;
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
}

export const STAMP_COUNT_MAX = 100;

export class PointsService {
  constructor(
    private readonly db: Sql,
    private readonly config: PointsConfig,
    /** Rung after a change that queued a webhook event commits. */
    private readonly webhooks: WebhookNudge,
  ) {}

  save(caller: Caller, change: Change) {
    return this.change(caller, change, "save");
  }

  use(caller: Caller, change: Change) {
    return this.change(caller, change, "use");
  }

  async balance(caller: Caller, member: MemberRef): Promise<{ memberNo: number; balance: number }> {
    const read = await readMemberBalance(this.db, this.gate(caller), member);
    passGate(read.gate);
    if (read.memberNo === null) throw new PointsError("member_not_found");
    return { memberNo: read.memberNo, balance: read.balance };
  }

  async history(caller: Caller, member: MemberRef, page: { number: number; size: number }): Promise<HistoryEntry[]> {
    const read = await readMemberHistory(this.db, this.gate(caller), member, page);
    passGate(read.gate);
    if (read.memberNo === null) throw new PointsError("member_not_found");
    return read.entries;
  }

  /**
   * A request whose parameters are bad still authenticates and counts as a call: answers the
   * gate's refusal if there is one, otherwise `failure`.
   */
  async reject(caller: Caller, failure: PointsError): Promise<never> {
    const [row] = await this.db.query<{ gate: GateRow | null }>(Prisma.sql`
      WITH ${this.gate(caller)} SELECT to_jsonb(gate) AS gate FROM (SELECT 1) one LEFT JOIN gate ON true`);
    passGate(row!.gate);
    throw failure;
  }

  /** Moves `count` from `member` to `to` in the store's pool. */
  async transfer(
    caller: Caller,
    t: TransferRequest,
  ): Promise<{ memberNo: number; balance: number; to: { memberNo: number; balance: number } }> {
    const out = await transferBetweenMembers(this.db, {
      storeId: caller.storeId,
      gate: this.writeGate(caller, this.countWithinUnit(t.count)),
      giver: t.member,
      receiver: t.to,
      count: t.count,
      idempotency: idempotency(t.idempotencyKey, "transfer", t.member, t.to, t.count),
    });
    const done = this.settle(out);
    return { memberNo: done.memberNo, balance: done.balance, to: done.to! };
  }

  /** Reverses one save or use of the member in the store's pool. */
  async cancel(caller: Caller, c: CancelRequest): Promise<{ memberNo: number; balance: number }> {
    const out = await reverseEntry(this.db, {
      storeId: caller.storeId,
      gate: this.writeGate(caller),
      member: c.member,
      entryId: c.historyId,
      idempotency: idempotency(c.idempotencyKey, "cancel", c.member, c.historyId),
    });
    const done = this.settle(out);
    return { memberNo: done.memberNo, balance: done.balance };
  }

  private async change(caller: Caller, c: Change, kind: "save" | "use"): Promise<{ memberNo: number; balance: number }> {
    const out = await changeMemberBalance(this.db, {
      storeId: caller.storeId,
      gate: this.writeGate(caller, this.countWithinUnit(c.count)),
      member: c.member,
      register: kind === "save",
      delta: kind === "save" ? c.count : -c.count,
      kind,
      idempotency: idempotency(c.idempotencyKey, kind, c.member, c.count),
    });
    const done = this.settle(out);
    return { memberNo: done.memberNo, balance: done.balance };
  }

  /** The gate's validity for a `count`: at most the ceiling of the store's unit. */
  private countWithinUnit(count: number): Prisma.Sql {
    return Prisma.sql`${count}::int <= CASE auth.unit WHEN 'stamp' THEN ${STAMP_COUNT_MAX}::int ELSE ${this.config.pointCountMax}::int END`;
  }

  /** The answer of a change, or the PointsError its outcome means. */
  private settle(out: MemberChangeOutcome | TransferOutcome | ReversalOutcome): ChangeAnswer {
    switch (out.status) {
      case "applied":
        if (out.queued) this.webhooks.ring();
        return out;
      case "replayed":
        return out;
      case "refused":
        // Authenticated and within the limit, yet not allowed: the only other condition is the count.
        passGate(out.gate);
        throw new PointsError("invalid_count");
      case "key_reused":
        throw new PointsError("duplicate_request");
      case "same_member":
        throw new PointsError("invalid_param", "to_number");
      case "above_maximum":
        throw new PointsError("invalid_count");
      default:
        throw new PointsError(out.status);
    }
  }

  /** The gate of a read or a refusal: counted first (it locks nothing else). */
  private gate(caller: Caller) {
    return openApiGate({ ...caller, timeZone: this.config.timeZone });
  }

  /** The gate of a change: counted after the change's own locks (src/stampang/gate.ts). */
  private writeGate(caller: Caller, validity?: Prisma.Sql) {
    return openApiWriteGate({ ...caller, timeZone: this.config.timeZone, validity });
  }
}

/** Throws the gate's refusal, if it refused. */
function passGate(row: GateRow | null): void {
  const gate = row as unknown as OpenGateRow | null;
  if (!gate) throw new PointsError("auth_failed");
  if (!gate.within_limit) {
    rateLimitRejections.inc({ api: "open" });
    throw new PointsError("rate_limited");
  }
}

/** The idempotency record of a call: its key and what identifies the operation and its parameters. */
function idempotency(key: string | undefined, operation: string, ...params: (MemberRef | number)[]) {
  if (key === undefined) return undefined;
  const text = params.map((p) => (typeof p === "number" ? p : "phone" in p ? `phone:${p.phone}` : `no:${p.memberNo}`));
  return { key, fingerprint: digest([operation, ...text].join("|")) };
}
