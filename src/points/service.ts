// The OPEN API's domain: save, use, balance and history of a member in a store's pool. Requests
// arrive here already parsed; every rule of the spec that needs the database (authentication,
// the daily limit, the count ceiling of the store's unit, the balance) is checked inside the
// one statement that does the work, and each refusal comes back as a PointsError.
import { createHash } from "node:crypto";
import { Prisma } from "../generated/prisma/client.js";
import type { Prisma as Db } from "../db/client.js";
import { changeMemberBalance } from "../ledger/member-change.js";
import { readMemberBalance, readMemberHistory, type HistoryEntry } from "../ledger/reads.js";
import type { GateRow, MemberRef } from "../ledger/types.js";
import { openApiGate, type OpenGateRow } from "../stores/gate.js";
import type { WebhookNudge } from "../webhooks/nudge.js";
import { rateLimitRejections } from "../metrics.js";

export type PointsFailure =
  | "auth_failed"
  | "invalid_param"
  | "invalid_phone"
  | "invalid_count"
  | "member_not_found"
  | "insufficient_balance"
  | "rate_limited"
  | "duplicate_request";

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

export interface PointsConfig {
  timeZone: string;
  /** Largest `count` of one call for a point store; a stamp store's is 100. */
  pointCountMax: number;
}

export const STAMP_COUNT_MAX = 100;

export class PointsService {
  constructor(
    private readonly db: Db,
    private readonly config: PointsConfig,
    /** Rung after a change commits: it may have queued a webhook event. */
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
    const [row] = await this.db.$queryRaw<{ gate: GateRow | null }[]>`
      WITH ${this.gate(caller)} SELECT to_jsonb(gate) AS gate FROM (SELECT 1) one LEFT JOIN gate ON true`;
    passGate(row!.gate);
    throw failure;
  }

  private async change(caller: Caller, c: Change, kind: "save" | "use"): Promise<{ memberNo: number; balance: number }> {
    const gate = this.gate(caller, Prisma.sql`${c.count}::int <= CASE auth.unit WHEN 'stamp' THEN ${STAMP_COUNT_MAX}::int ELSE ${this.config.pointCountMax}::int END`);
    const out = await changeMemberBalance(this.db, {
      gate,
      member: c.member,
      register: kind === "save",
      delta: kind === "save" ? c.count : -c.count,
      kind,
      idempotency: c.idempotencyKey === undefined ? undefined : { key: c.idempotencyKey, fingerprint: fingerprint(kind, c) },
    });
    switch (out.status) {
      case "applied":
        this.webhooks.ring();
        return { memberNo: out.memberNo, balance: out.balance };
      case "replayed":
        return { memberNo: out.memberNo, balance: out.balance };
      case "refused":
        passGate(out.gate);
        throw new PointsError("invalid_count");
      case "key_reused":
        throw new PointsError("duplicate_request");
      case "member_not_found":
        throw new PointsError("member_not_found");
      case "insufficient_balance":
        throw new PointsError("insufficient_balance");
      case "above_maximum":
        throw new PointsError("invalid_count");
    }
  }

  private gate(caller: Caller, validity?: Prisma.Sql) {
    return openApiGate({ ...caller, timeZone: this.config.timeZone, validity });
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

/** Identifies an operation and its parameters, so that a reused idempotency key can be told apart. */
function fingerprint(kind: string, c: Change): string {
  const who = "phone" in c.member ? `phone:${c.member.phone}` : `no:${c.member.memberNo}`;
  return createHash("sha256").update(`${kind}|${who}|${c.count}`).digest("hex");
}
