// The ledger's audit: every invariant that the write path promises, checked from the rows alone.
import type { Prisma as Db } from "../db/client.js";

export interface VerifyReport {
  ok: boolean;
  accounts: number;
  entries: number;
  problems: string[];
}

interface Problem {
  problem: string;
}

/** Each query returns one row per violation, described in words. */
const CHECKS: { name: string; sql: string }[] = [
  {
    name: "balance equals the sum of its entries",
    sql: `SELECT format('account %s: balance %s but its entries sum to %s', a.id, a.balance, COALESCE(s.total, 0)) AS problem
            FROM ledger_account a
            LEFT JOIN (SELECT account_id, sum(delta) AS total FROM ledger_entry GROUP BY account_id) s ON s.account_id = a.id
           WHERE a.balance <> COALESCE(s.total, 0)`,
  },
  {
    name: "balance within 0..maximum",
    sql: `SELECT format('account %s: balance %s outside 0..%s', id, balance, COALESCE(max_balance::text, 'any')) AS problem
            FROM ledger_account WHERE balance < 0 OR balance > COALESCE(max_balance, balance)`,
  },
  {
    name: "each entry's balance_after is the running sum",
    sql: `SELECT format('entry %s: balance_after %s but the running sum is %s', id, balance_after, running) AS problem
            FROM (SELECT id, balance_after, sum(delta) OVER (PARTITION BY account_id ORDER BY id) AS running
                    FROM ledger_entry) e
           WHERE balance_after <> running`,
  },
];

export async function verifyLedger(db: Db, extraChecks: { name: string; sql: string }[] = []): Promise<VerifyReport> {
  const problems: string[] = [];
  for (const check of [...CHECKS, ...extraChecks]) {
    const rows = await db.$queryRawUnsafe<Problem[]>(`${check.sql} LIMIT 100`);
    problems.push(...rows.map((r) => r.problem));
  }
  const [counts] = await db.$queryRaw<{ accounts: number; entries: number }[]>`
    SELECT (SELECT count(*) FROM ledger_account)::int AS accounts, (SELECT count(*) FROM ledger_entry)::int AS entries`;
  return { ok: problems.length === 0, accounts: counts!.accounts, entries: counts!.entries, problems };
}
