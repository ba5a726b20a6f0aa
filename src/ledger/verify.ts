// The ledger's audit: every invariant that the write path promises, checked from the rows alone.
import type { Prisma as Db } from "../platform/db/client.js";

export interface VerifyReport {
  ok: boolean;
  accounts: number;
  entries: number;
  stamps: number;
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
  {
    name: "every stamp's count equals its rows",
    sql: `SELECT format('stamp %s: count %s but its rows sum to %s', s.id, a.balance, COALESCE(sum(e.delta), 0)) AS problem
            FROM stamp s
            JOIN ledger_account a ON a.id = s.account_id
            LEFT JOIN ledger_entry e ON e.account_id = a.id
           GROUP BY s.id, a.balance
          HAVING a.balance <> COALESCE(sum(e.delta), 0)`,
  },
  {
    name: "every stamp's used flag follows its last use or unuse row",
    sql: `SELECT format('stamp %s: %s but its last use/unuse row is %s', s.id, CASE WHEN s.used THEN 'used' ELSE 'not used' END,
                          COALESCE(last.kind::text, 'none')) AS problem
            FROM stamp s
            LEFT JOIN LATERAL (SELECT kind FROM ledger_entry
                                WHERE account_id = s.account_id AND kind IN ('stamp_use', 'stamp_unuse')
                                ORDER BY id DESC LIMIT 1) last ON true
           WHERE s.used <> (last.kind IS NOT DISTINCT FROM 'stamp_use')`,
  },
  {
    name: "every stamp's maximum is its card's",
    sql: `SELECT format('stamp %s: maximum %s but card %s has maxStamps %s', s.id, COALESCE(a.max_balance::text, 'none'), c.id, c.max_stamps) AS problem
            FROM stamp s
            JOIN card c ON c.id = s.card_id
            JOIN ledger_account a ON a.id = s.account_id
           WHERE a.max_balance IS DISTINCT FROM c.max_stamps`,
  },
  {
    name: "every stamp row was written by the stamp's store",
    sql: `SELECT format('entry %s: written by store %s on stamp %s of store %s', e.id, e.store_id, s.id, c.store_id) AS problem
            FROM stamp s
            JOIN card c ON c.id = s.card_id
            JOIN ledger_entry e ON e.account_id = s.account_id
           WHERE e.store_id <> c.store_id`,
  },
  {
    // Once per account is the index ledger_entry_import_once's.
    name: "each import row opens a member's balance in a pool",
    sql: `SELECT format('import entry %s: %s', e.id, CASE WHEN a.pool_id IS NULL OR a.member_id IS NULL THEN 'not on a member''s account in a pool'
                                                            ELSE format('delta %s is not positive', e.delta) END) AS problem
            FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
           WHERE e.kind = 'import' AND (a.pool_id IS NULL OR a.member_id IS NULL OR e.delta <= 0)`,
  },
  {
    name: "each transfer's two rows name each other and balance",
    sql: `SELECT format('transfer entry %s: %s', id, problem) AS problem FROM (
            SELECT e.id, CASE
                     WHEN c.id IS NULL THEN 'has no counterpart'
                     WHEN c.kind <> 'transfer' OR c.counterpart_id IS DISTINCT FROM e.id THEN format('entry %s does not name it back', c.id)
                     WHEN e.delta + c.delta <> 0 THEN format('deltas %s and %s (entry %s) do not balance', e.delta, c.delta, c.id)
                     WHEN a.pool_id IS DISTINCT FROM ca.pool_id OR a.id = ca.id THEN format('entry %s is not another member''s account in its pool', c.id)
                   END AS problem
              FROM ledger_entry e
              JOIN ledger_account a ON a.id = e.account_id
              LEFT JOIN ledger_entry c ON c.id = e.counterpart_id
              LEFT JOIN ledger_account ca ON ca.id = c.account_id
             WHERE e.kind = 'transfer') t
           WHERE problem IS NOT NULL`,
  },
  {
    name: "each reversal undoes a save or use of its account",
    sql: `SELECT format('reversal entry %s: %s', id, problem) AS problem FROM (
            SELECT e.id, CASE
                     WHEN o.id IS NULL THEN 'reverses no row'
                     WHEN o.kind NOT IN ('save', 'use') THEN format('reverses entry %s, a %s', o.id, o.kind)
                     WHEN o.account_id <> e.account_id THEN format('reverses entry %s of another account', o.id)
                     WHEN o.delta + e.delta <> 0 THEN format('delta %s does not undo entry %s (delta %s)', e.delta, o.id, o.delta)
                     WHEN NOT o.reversed THEN format('entry %s is not marked reversed', o.id)
                   END AS problem
              FROM ledger_entry e LEFT JOIN ledger_entry o ON o.id = e.reverses_id
             WHERE e.kind = 'reversal') r
           WHERE problem IS NOT NULL`,
  },
  {
    name: "no row is reversed twice, and a row marked reversed has its reversal",
    sql: `SELECT format('entry %s: reversed by %s rows, %s', o.id, count(r.id),
                   CASE WHEN o.reversed THEN 'marked reversed' ELSE 'not marked reversed' END) AS problem
            FROM ledger_entry o LEFT JOIN ledger_entry r ON r.reverses_id = o.id
           WHERE o.reversed OR r.id IS NOT NULL
           GROUP BY o.id, o.reversed
          HAVING count(r.id) <> 1 OR NOT o.reversed`,
  },
  {
    // Lots (shared/spec/expiry.md): what an account's lots hold is its `expiring` part; the rest of
    // the balance never expires, so lots and that rest sum to the balance.
    name: "an account's lots sum to its expiring part, within its balance",
    sql: `SELECT format('account %s: expiring %s but its lots hold %s (balance %s)', a.id, a.expiring, COALESCE(l.held, 0), a.balance) AS problem
            FROM ledger_account a
            LEFT JOIN (SELECT account_id, sum(remaining) AS held FROM ledger_lot GROUP BY account_id) l ON l.account_id = a.id
           WHERE a.expiring <> COALESCE(l.held, 0) OR a.expiring < 0 OR a.expiring > a.balance`,
  },
  {
    name: "each lot is one credit of its account, and holds between nothing and that credit",
    sql: `SELECT format('lot %s: %s', id, problem) AS problem FROM (
            SELECT l.id, CASE
                     WHEN l.remaining < 0 OR l.expired < 0 OR l.remaining + l.expired > l.amount
                       THEN format('remaining %s and expired %s outside its credit of %s', l.remaining, l.expired, l.amount)
                     WHEN e.account_id <> l.account_id OR e.store_id <> l.store_id THEN format('entry %s is of another account or store', e.id)
                     WHEN e.delta <> l.amount OR e.kind NOT IN ('save', 'import', 'transfer', 'reversal')
                       THEN format('entry %s (%s, delta %s) is not a credit of %s', e.id, e.kind, e.delta, l.amount)
                   END AS problem
              FROM ledger_lot l JOIN ledger_entry e ON e.id = l.entry_id) p
           WHERE problem IS NOT NULL`,
  },
  {
    // An expire row is dated its lots' end, the moment they had ended.
    name: "each expire row takes what its account's lots held at their end",
    sql: `SELECT format('expire entry %s: %s', id, problem) AS problem FROM (
            SELECT e.id, CASE
                     WHEN count(l.id) = 0 THEN 'expires no lot'
                     WHEN -e.delta <> sum(l.expired) THEN format('delta %s but its lots had %s left', e.delta, sum(l.expired))
                     WHEN bool_or(l.account_id <> e.account_id) THEN 'takes a lot of another account'
                     WHEN bool_or(l.expires_at <> e.created_at) THEN 'takes a lot that ends at another moment'
                   END AS problem
              FROM ledger_entry e LEFT JOIN ledger_lot l ON l.expired_by = e.id
             WHERE e.kind = 'expire'
             GROUP BY e.id) x
           WHERE problem IS NOT NULL
          UNION ALL
          SELECT format('lot %s: %s expired by entry %s, which is not an expire row', l.id, l.expired, l.expired_by)
            FROM ledger_lot l LEFT JOIN ledger_entry e ON e.id = l.expired_by
           WHERE l.expired_by IS NOT NULL AND e.kind IS DISTINCT FROM 'expire'`,
  },
  {
    // store_activity is kept by the trigger of 20261206100000_console_members; this is its recount.
    name: "each store's activity slots equal a count of its ledger rows",
    sql: `SELECT format('store %s, slot %s UTC: activity (saves, saved, uses, used, new members, card stamps) %s but its ledger rows give %s',
                        COALESCE(k.store_id, r.store_id), to_char(COALESCE(k.slot, r.slot) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
                        ROW(COALESCE(k.saves, 0), COALESCE(k.saved, 0), COALESCE(k.uses, 0), COALESCE(k.used, 0),
                            COALESCE(k.new_members, 0), COALESCE(k.card_stamps, 0)),
                        ROW(COALESCE(r.saves, 0), COALESCE(r.saved, 0), COALESCE(r.uses, 0), COALESCE(r.used, 0),
                            COALESCE(r.new_members, 0), COALESCE(r.card_stamps, 0))) AS problem
            FROM store_activity k
            FULL JOIN (
              SELECT e.store_id, store_activity_slot(e.created_at) AS slot,
                     count(*) FILTER (WHERE e.kind = 'save' AND NOT e.reversed) AS saves,
                     COALESCE(sum(e.delta) FILTER (WHERE e.kind = 'save' AND NOT e.reversed), 0) AS saved,
                     count(*) FILTER (WHERE e.kind = 'use' AND NOT e.reversed) AS uses,
                     COALESCE(-sum(e.delta) FILTER (WHERE e.kind = 'use' AND NOT e.reversed), 0) AS used,
                     count(*) FILTER (WHERE e.kind IN ('save', 'transfer') AND e.delta > 0
                                        AND NOT EXISTS (SELECT 1 FROM ledger_entry p WHERE p.account_id = e.account_id AND p.id < e.id)) AS new_members,
                     COALESCE(sum(e.delta) FILTER (WHERE e.kind = 'stamp_add'), 0) AS card_stamps
                FROM ledger_entry e
               WHERE e.kind IN ('save', 'use', 'transfer', 'stamp_add')
               GROUP BY 1, 2) r ON r.store_id = k.store_id AND r.slot = k.slot
           WHERE (COALESCE(k.saves, 0), COALESCE(k.saved, 0), COALESCE(k.uses, 0), COALESCE(k.used, 0), COALESCE(k.new_members, 0), COALESCE(k.card_stamps, 0))
              <> (COALESCE(r.saves, 0), COALESCE(r.saved, 0), COALESCE(r.uses, 0), COALESCE(r.used, 0), COALESCE(r.new_members, 0), COALESCE(r.card_stamps, 0))`,
  },
];

export async function verifyLedger(db: Db, extraChecks: { name: string; sql: string }[] = []): Promise<VerifyReport> {
  const problems: string[] = [];
  for (const check of [...CHECKS, ...extraChecks]) {
    const rows = await db.$queryRawUnsafe<Problem[]>(`${check.sql} LIMIT 100`);
    problems.push(...rows.map((r) => r.problem));
  }
  const [counts] = await db.$queryRaw<{ accounts: number; entries: number; stamps: number }[]>`
    SELECT (SELECT count(*) FROM ledger_account)::int AS accounts, (SELECT count(*) FROM ledger_entry)::int AS entries,
           (SELECT count(*) FROM stamp)::int AS stamps`;
  return { ok: problems.length === 0, ...counts!, problems };
}
