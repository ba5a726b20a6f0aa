// The console's customers: look-up, one customer's page (balance and history), and the changes a
// console user makes, each through the OPEN API's PointsService as that user (Caller.consoleLogin),
// so the console follows the API's rules (count ceilings, balance never below zero, the daily
// limit, idempotency) by the same ledger functions. A user sees only members known to their
// store's pool (shared/spec/migration.md, "Member privacy between pools"): any other member is
// not found, exactly as a number never seen. Every balance shown is read after its account was
// brought up to now (shared/spec/expiry.md): it never holds an expired lot.
import { Prisma } from "../../generated/prisma/client.js";
import type { EntryKind, StoreUnit } from "../../generated/prisma/enums.js";
import type { Database } from "../../platform/db/client.js";
import { maskedPhone, normalizeMobile, type PhonePolicy } from "../../platform/phone.js";
import { recordId } from "../../platform/input.js";
import type { MemberRef } from "../../ledger/types.js";
import type { ExpiringPart } from "../../ledger/points.js";
import type { Caller, PointsService } from "../../stampang/service.js";
import type { ExpiryService } from "../../expiry/service.js";
import type { ConsoleUser } from "../users/service.js";

/** What the service needs of the console user making a call: their login, their store and its pool. */
export type DeskUser = Pick<ConsoleUser, "login" | "storeId" | "poolId">;

/** What a look-up's text names. */
export type MemberQuery = { phone: string } | { last4: string; memberNo: number } | { memberNo: number };

/**
 * A look-up's text: a mobile number in any format (as the OPEN API takes it), 4 digits (the last
 * digits of a phone, or a member number), or a member number; null for anything else.
 */
export function parseMemberQuery(text: string, phones: PhonePolicy): MemberQuery | null {
  const q = text.trim();
  if (/^\d{4}$/.test(q)) return { last4: q, memberNo: Number(q) };
  return parseMemberRef(q, phones);
}

/**
 * The member a form names (a transfer's receiver): a mobile number, which may be new to the pool,
 * or else a member number; null for anything else.
 */
export function parseMemberRef(text: string, phones: PhonePolicy): MemberRef | null {
  const q = text.trim();
  const phone = normalizeMobile(q, phones);
  if (phone) return { phone };
  const memberNo = recordId.safeParse(q);
  return memberNo.success ? { memberNo: memberNo.data } : null;
}

export interface MemberSummary {
  memberNo: number;
  /** Masked (maskedPhone). */
  phone: string;
  balance: number;
  /**
   * The time of the account's latest row but an expiry (not a visit), in the store's time zone
   * (`YYYY-MM-DD HH:mm`); null when it has none.
   */
  lastVisit: string | null;
}

export interface HistoryRow {
  id: number;
  kind: EntryKind;
  /** Signed change of the balance. */
  delta: number;
  balanceAfter: number;
  /** In the store's time zone, `YYYY-MM-DD HH:mm`. */
  date: string;
  /** The branch that made the row: its branch name, or its name. */
  place: string;
  loginId: string;
  /** The console user who made the row; null for the APIs' rows. */
  consoleLogin: string | null;
  /** A save or use that stands: the OPEN API's 취소 may reverse it. */
  cancellable: boolean;
}

export interface MemberPage {
  memberNo: number;
  /** Masked (maskedPhone). */
  phone: string;
  balance: number;
  /** What of the balance lapses next, after its last day `date`; null when nothing will. */
  nextExpiry: ExpiringPart | null;
  unit: StoreUnit;
  /** The account's opening in the pool, `YYYY-MM-DD` in the store's time zone. */
  joined: string;
  /** Newest first. */
  history: HistoryRow[];
  page: number;
  hasNextPage: boolean;
}

export const HISTORY_PAGE_SIZE = 20;
/** Matches a look-up shows at most: 4 digits match a handful of the pool's members. */
export const SEARCH_LIMIT = 50;

export interface MemberServiceDeps {
  db: Database;
  points: PointsService;
  expiry: ExpiryService;
  phones: PhonePolicy;
  /** The zone of a store without its own (TIME_ZONE). */
  timeZone: string;
}

const localTime = (column: Prisma.Sql, timeZone: Prisma.Sql) =>
  Prisma.sql`to_char(${column} AT TIME ZONE ${timeZone}, 'YYYY-MM-DD HH24:MI')`;

export class MemberService {
  constructor(private readonly deps: MemberServiceDeps) {}

  /** The members of the user's pool that `query` names, the most recently seen first. */
  async search(user: DeskUser, query: MemberQuery): Promise<MemberSummary[]> {
    const { db } = this.deps;
    const timeZone = this.zoneOf(user);
    const named =
      "phone" in query
        ? Prisma.sql`m.phone = ${query.phone}`
        : "last4" in query
          ? Prisma.sql`(m.phone_last4 = ${query.last4} OR m.id = ${query.memberNo})`
          : Prisma.sql`m.id = ${query.memberNo}`;
    const rows = await db.query<{ account_id: number; member_no: number; phone: string; balance: number; last_visit: string | null }>(
      Prisma.sql`
      SELECT a.id AS account_id, m.id AS member_no, m.phone, a.balance, ${localTime(Prisma.sql`last.created_at`, timeZone)} AS last_visit
        FROM member m
        JOIN ledger_account a ON a.pool_id = ${user.poolId} AND a.member_id = m.id
        LEFT JOIN LATERAL (SELECT e.created_at FROM ledger_entry e
                            WHERE e.account_id = a.id AND e.kind <> 'expire' ORDER BY e.id DESC LIMIT 1) last ON true
       WHERE ${named}
       ORDER BY last.created_at DESC NULLS LAST, m.id
       LIMIT ${SEARCH_LIMIT}`,
    );
    const settled = await this.deps.expiry.settle(rows.map((r) => r.account_id));
    return rows.map((r) => ({
      memberNo: r.member_no,
      phone: maskedPhone(r.phone, this.deps.phones),
      balance: settled.get(r.account_id) ?? r.balance,
      lastVisit: r.last_visit,
    }));
  }

  /** A member of the user's pool named by phone or number, with the store's unit; null when the pool does not know them. */
  async summary(user: DeskUser, member: MemberRef): Promise<(MemberSummary & { unit: StoreUnit }) | null> {
    const [found] = await this.search(user, member);
    if (!found) return null;
    return { ...found, unit: await this.unit(user) };
  }

  /** The user's store's time zone, resolved in the query: its own, else TIME_ZONE. */
  private zoneOf(user: DeskUser): Prisma.Sql {
    return Prisma.sql`store_time_zone(${user.storeId}, ${this.deps.timeZone})`;
  }

  /** Whether the user's store counts stamps or points. */
  async unit(user: DeskUser): Promise<StoreUnit> {
    const [store] = await this.deps.db.query<{ unit: StoreUnit }>(Prisma.sql`SELECT unit FROM store WHERE id = ${user.storeId}`);
    return store!.unit;
  }

  /** A member of the user's pool with one page of their history (from 1), or null when the pool does not know them. */
  async member(user: DeskUser, memberNo: number, page: number): Promise<MemberPage | null> {
    const { db } = this.deps;
    const timeZone = this.zoneOf(user);
    const [account] = await db.query<{ id: number; phone: string; balance: number; joined: string; unit: StoreUnit }>(Prisma.sql`
      SELECT a.id, m.phone, a.balance, to_char(a.created_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD') AS joined, s.unit
        FROM member m
        JOIN ledger_account a ON a.pool_id = ${user.poolId} AND a.member_id = m.id
        JOIN store s ON s.id = ${user.storeId}
       WHERE m.id = ${memberNo}`);
    if (!account) return null;
    const balance = (await this.deps.expiry.settle([account.id])).get(account.id) ?? account.balance;
    // One row more than a page: whether there is a next one.
    const rows = await db.query<{
      id: number;
      kind: EntryKind;
      delta: number;
      balance_after: number;
      date: string;
      place: string;
      login_id: string;
      console_login: string | null;
      reversed: boolean;
    }>(Prisma.sql`
      SELECT e.id, e.kind, e.delta, e.balance_after, ${localTime(Prisma.sql`e.created_at`, timeZone)} AS date,
             COALESCE(NULLIF(s.place, ''), s.name) AS place, s.login_id, e.console_login, e.reversed
        FROM ledger_entry e JOIN store s ON s.id = e.store_id
       WHERE e.account_id = ${account.id}
       ORDER BY e.id DESC
       LIMIT ${HISTORY_PAGE_SIZE + 1} OFFSET ${(page - 1) * HISTORY_PAGE_SIZE}`);
    return {
      memberNo,
      phone: maskedPhone(account.phone, this.deps.phones),
      balance,
      nextExpiry: await this.deps.expiry.nextExpiry(account.id),
      unit: account.unit,
      joined: account.joined,
      history: rows.slice(0, HISTORY_PAGE_SIZE).map((r) => ({
        id: r.id,
        kind: r.kind,
        delta: r.delta,
        balanceAfter: r.balance_after,
        date: r.date,
        place: r.place,
        loginId: r.login_id,
        consoleLogin: r.console_login,
        cancellable: (r.kind === "save" || r.kind === "use") && !r.reversed,
      })),
      page,
      hasNextPage: rows.length > HISTORY_PAGE_SIZE,
    };
  }

  /** Saves `count` for a member; a phone new to the pool is registered (the counter's flow). */
  async save(user: DeskUser, member: MemberRef, count: number, idempotencyKey: string) {
    return this.deps.points.save(await this.caller(user), { member, count, idempotencyKey });
  }

  async use(user: DeskUser, member: MemberRef, count: number, idempotencyKey: string) {
    return this.deps.points.use(await this.caller(user), { member, count, idempotencyKey });
  }

  /** Moves `count` from a member to another; a receiver phone new to the pool is registered. */
  async transfer(user: DeskUser, member: MemberRef, to: MemberRef, count: number, idempotencyKey: string) {
    return this.deps.points.transfer(await this.caller(user), { member, to, count, idempotencyKey });
  }

  /** Reverses one save or use of a member (the OPEN API's 취소). */
  async cancel(user: DeskUser, member: MemberRef, historyId: number, idempotencyKey: string) {
    return this.deps.points.cancel(await this.caller(user), { member, historyId, idempotencyKey });
  }

  /** The user's store as the ledger's functions authenticate it: by its id and its auth code's hash. */
  private async caller(user: DeskUser): Promise<Caller> {
    const [store] = await this.deps.db.query<{ auth_code_hash: string }>(
      Prisma.sql`SELECT auth_code_hash FROM store WHERE id = ${user.storeId}`,
    );
    // A user's store is never deleted (their row references it); a missing one is a broken database.
    if (!store) throw new Error(`store ${user.storeId} of console user ${user.login} not found`);
    return { storeId: user.storeId, authCodeHash: store.auth_code_hash, consoleLogin: user.login };
  }
}
