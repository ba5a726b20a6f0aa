// Reads of member balances and history, each in one statement after the caller's gate, so that a
// read is authenticated and counted in the same round trip.
import { Prisma } from "../generated/prisma/client.js";
import type { Sql } from "../platform/db/client.js";
import type { EntryKind } from "../generated/prisma/enums.js";
import type { Gate, GateRow, MemberRef } from "./types.js";
import { memberKnown } from "./statement.js";

/** CTE `m`: the member, when known to the gate's pool (it has an account there). */
const knownMember = (member: MemberRef) => Prisma.sql`m AS (${memberKnown(member, Prisma.sql`(SELECT pool_id FROM gate)`)})`;

export interface BalanceRead {
  gate: GateRow | null;
  /** Null when the pool does not know the member (whether or not another pool does). */
  memberNo: number | null;
  balance: number;
}

/** A member's balance in the gate's pool. */
export async function readMemberBalance(db: Sql, gate: Gate, member: MemberRef): Promise<BalanceRead> {
  const [row] = await db.query<{ gate: GateRow | null; member_no: number | null; balance: number | null }>(Prisma.sql`
    WITH ${gate},
    ${knownMember(member)}
    SELECT to_jsonb(gate) AS gate, m.id AS member_no, a.balance
      FROM (SELECT 1) one
      LEFT JOIN gate ON true
      LEFT JOIN m ON gate.allowed
      LEFT JOIN ledger_account a ON a.pool_id = gate.pool_id AND a.member_id = m.id`);
  return { gate: row!.gate, memberNo: row!.member_no, balance: row!.balance ?? 0 };
}

export interface HistoryEntry {
  id: number;
  login_id: string;
  /** The store's branch name, or its name when it has none. */
  place: string;
  kind: EntryKind;
  delta: number;
  /** UTC, ISO 8601 with seconds and `Z`. */
  date: string;
}

export interface HistoryRead {
  gate: GateRow | null;
  memberNo: number | null;
  entries: HistoryEntry[];
}

/** One page of a member's entries in the gate's pool, newest first. */
export async function readMemberHistory(
  db: Sql,
  gate: Gate,
  member: MemberRef,
  page: { number: number; size: number },
): Promise<HistoryRead> {
  const offset = (page.number - 1) * page.size;
  const [row] = await db.query<{ gate: GateRow | null; member_no: number | null; entries: HistoryEntry[] | null }>(Prisma.sql`
    WITH ${gate},
    ${knownMember(member)},
    rows AS (
      SELECT e.id, s.login_id, COALESCE(NULLIF(s.place, ''), s.name) AS place, e.kind, e.delta,
             to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS date
        FROM gate
        JOIN ledger_account a ON a.pool_id = gate.pool_id AND gate.allowed
        JOIN m ON a.member_id = m.id
        JOIN ledger_entry e ON e.account_id = a.id
        JOIN store s ON s.id = e.store_id
       ORDER BY e.id DESC
       LIMIT ${page.size}::int OFFSET ${offset}::bigint
    )
    SELECT to_jsonb(gate) AS gate, m.id AS member_no, (SELECT jsonb_agg(rows ORDER BY rows.id DESC) FROM rows) AS entries
      FROM (SELECT 1) one
      LEFT JOIN gate ON true
      LEFT JOIN m ON gate.allowed`);
  return { gate: row!.gate, memberNo: row!.member_no, entries: row!.entries ?? [] };
}
