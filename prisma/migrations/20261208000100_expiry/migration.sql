-- Expiry of members' balances (shared/spec/expiry.md, docs/ledger.md "Expiry"). A pool may have a
-- period; every credit made while it has one is a lot that lapses at the end of the calendar day
-- `expiry_days` after the credit, in the crediting store's zone. The part of a balance that never
-- expires (credits made without a period) is kept as `ledger_account.balance - expiring` rather
-- than as lots, so a pool without a period writes and reads exactly what it did before.
--
-- Lots are touched only under their account's lock, so they add no level to the lock order. Every
-- operation on an account expires what is due first, right after it locks the account and before
-- its checks; reads do the same before they count the call (the counter stays the last lock). The
-- sweeper locks idle accounts with due lots in id order, skipping locked ones, and runs the same
-- step, which reads the lots again after the lock: each lot expires once.
--
-- The OPEN API's functions take the time of the call, `p_at` (null: the database's clock), after
-- the caller's time zone, as the stamp functions already did: tests pin it instead of waiting.

ALTER TABLE "pool" ADD COLUMN "expiry_days" INTEGER;
ALTER TABLE "pool" ADD CONSTRAINT "pool_expiry_days_check" CHECK ("expiry_days" BETWEEN 1 AND 3650);

ALTER TABLE "ledger_account" ADD COLUMN "expiring" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "ledger_account" ADD CONSTRAINT "ledger_account_expiring_check" CHECK ("expiring" >= 0 AND "expiring" <= "balance");

CREATE TABLE "ledger_lot" (
    "id" SERIAL NOT NULL,
    "account_id" INTEGER NOT NULL,
    "entry_id" INTEGER NOT NULL,
    "store_id" INTEGER NOT NULL,
    "amount" INTEGER NOT NULL,
    "remaining" INTEGER NOT NULL,
    "expires_on" DATE NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "expired" INTEGER NOT NULL DEFAULT 0,
    "expired_by" INTEGER,

    CONSTRAINT "ledger_lot_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ledger_lot_amount_check" CHECK ("amount" > 0),
    -- What was spent (amount - remaining - expired) is never negative; once expired, nothing is left.
    CONSTRAINT "ledger_lot_remaining_check" CHECK ("remaining" >= 0 AND "expired" >= 0 AND "remaining" + "expired" <= "amount"),
    CONSTRAINT "ledger_lot_expired_check" CHECK (("expired_by" IS NULL) = ("expired" = 0) AND ("expired_by" IS NULL OR "remaining" = 0))
);
CREATE UNIQUE INDEX "ledger_lot_entry_id_key" ON "ledger_lot"("entry_id");
CREATE INDEX "ledger_lot_open" ON "ledger_lot"("account_id", "expires_at", "id") WHERE remaining > 0;
CREATE INDEX "ledger_lot_due" ON "ledger_lot"("expires_at") WHERE remaining > 0;
ALTER TABLE "ledger_lot" ADD CONSTRAINT "ledger_lot_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "ledger_account"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ledger_lot" ADD CONSTRAINT "ledger_lot_entry_id_fkey" FOREIGN KEY ("entry_id") REFERENCES "ledger_entry"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ledger_lot" ADD CONSTRAINT "ledger_lot_expired_by_fkey" FOREIGN KEY ("expired_by") REFERENCES "ledger_entry"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "ledger_lot" ADD CONSTRAINT "ledger_lot_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- When a lot credited on `p_day` in zone `p_zone` lapses, with a pool period of `p_days` (null:
-- never): the end of its last day (expires_on), that is the start of the day after, in that zone.
CREATE FUNCTION "lot_end"(p_day date, p_days int, p_zone text, OUT expires_on date, OUT expires_at timestamptz) LANGUAGE sql STABLE AS $$
  SELECT p_day + p_days, (p_day + p_days + 1)::timestamp AT TIME ZONE p_zone;
$$;

-- Expires what is due at `p_at` on accounts the caller has locked: for each account and expiry
-- moment with something left, one `expire` row of the remainders (made by the store of the
-- moment's first lot, dated the moment), the lots emptied and marked with it, the balance lowered;
-- then an EXPIRE event for each row whose store has a webhook. rows: the expire rows written.
CREATE FUNCTION "ledger_expire"(p_account_ids int[], p_at timestamptz, OUT rows int, OUT queued boolean) LANGUAGE plpgsql AS $$
DECLARE
  v_entry_ids int[];
BEGIN
  -- Every access goes by a key (each account's open lots, the lots and accounts by id), whatever
  -- the planner's statistics say: the embedded database never gathers them by itself, and a plan
  -- for a table it takes for empty hashes whole tables once a step holds more than a few accounts.
  WITH due AS (
    SELECT x.id AS account_id, d.expires_at, d.amount, d.store_id, d.lot_ids
      FROM unnest(p_account_ids) AS x(id)
     CROSS JOIN LATERAL (
       SELECT l.expires_at, sum(l.remaining)::int AS amount, (array_agg(l.store_id ORDER BY l.id))[1] AS store_id, array_agg(l.id) AS lot_ids
         FROM ledger_lot l
        WHERE l.account_id = x.id AND l.remaining > 0 AND l.expires_at <= p_at
        GROUP BY l.expires_at) d
  ), moments AS (
    SELECT o.*, nextval(pg_get_serial_sequence('ledger_entry', 'id'))::int AS entry_id
      FROM (SELECT d.*, a.balance - sum(d.amount) OVER (PARTITION BY d.account_id ORDER BY d.expires_at) AS balance_after
              FROM due d JOIN ledger_account a ON a.id = d.account_id AND a.id = ANY (p_account_ids)
             ORDER BY d.account_id, d.expires_at) o
  ), entries AS (
    INSERT INTO ledger_entry (id, account_id, store_id, kind, delta, balance_after, created_at)
    SELECT m.entry_id, m.account_id, m.store_id, 'expire', -m.amount, m.balance_after, m.expires_at FROM moments m
    RETURNING id
  ), lots AS (
    UPDATE ledger_lot l SET expired = l.remaining, remaining = 0, expired_by = m.entry_id
      FROM (SELECT unnest(m.lot_ids) AS lot_id, m.entry_id FROM moments m) m
     WHERE l.id = m.lot_id AND l.id = ANY (ARRAY(SELECT unnest(d.lot_ids) FROM due d))
  ), accounts AS (
    UPDATE ledger_account a SET balance = a.balance - t.amount, expiring = a.expiring - t.amount, updated_at = now()
      FROM (SELECT m.account_id, sum(m.amount)::int AS amount FROM moments m GROUP BY m.account_id) t
     WHERE a.id = t.account_id AND a.id = ANY (p_account_ids)
  )
  SELECT array_agg(e.id) INTO v_entry_ids FROM entries e;
  rows := COALESCE(cardinality(v_entry_ids), 0);
  SELECT COALESCE(bool_or(queue_webhook_event(e.store_id, 'POINT', 'EXPIRE', e.delta, e.created_at,
           json_build_object('storeId', e.store_id, 'memberNo', a.member_id, 'entryId', e.id, 'balance', e.balance_after))), false)
    INTO queued
    FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
   WHERE e.id = ANY (v_entry_ids) AND EXISTS (SELECT 1 FROM store_webhook w WHERE w.store_id = e.store_id);
END;
$$;

-- Whether an account has something due at `p_at` (a probe of its first open lot).
CREATE FUNCTION "ledger_due"(p_account_id int, p_at timestamptz) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM ledger_lot l WHERE l.account_id = p_account_id AND l.remaining > 0 AND l.expires_at <= p_at);
$$;

-- One account brought up to `p_at` (null: now): locks it (a caller that holds the lock loses nothing), expires
-- what is due, and answers its balance and expiring part after.
CREATE FUNCTION "ledger_expire_account"(p_account_id int, p_at timestamptz, OUT balance int, OUT expiring int, OUT queued boolean)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM ledger_account a WHERE a.id = p_account_id FOR UPDATE;
  SELECT x.queued INTO queued FROM ledger_expire(ARRAY[p_account_id], COALESCE(p_at, now())) x;
  SELECT a.balance, a.expiring INTO balance, expiring FROM ledger_account a WHERE a.id = p_account_id;
END;
$$;

-- Takes `p_amount` from an account's lots that lapse first (the caller holds the account's lock
-- and has expired what is due), as far as they go, and answers what it took: the rest of a debit
-- comes from the part of the balance that never expires. One lot at a time by the open-lots index,
-- stopping at the lot that covers the amount: a loop over one query read and sorted all of the
-- account's lots whenever the planner took them for few.
CREATE FUNCTION "ledger_lots_take"(p_account_id int, p_amount int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  v_lot record;
  v_left int := p_amount;
  v_take int;
BEGIN
  LOOP
    SELECT l.id, l.remaining INTO v_lot FROM ledger_lot l
     WHERE l.account_id = p_account_id AND l.remaining > 0 ORDER BY l.expires_at, l.id LIMIT 1;
    EXIT WHEN NOT FOUND;
    v_take := LEAST(v_lot.remaining, v_left);
    UPDATE ledger_lot l SET remaining = l.remaining - v_take WHERE l.id = v_lot.id;
    v_left := v_left - v_take;
    EXIT WHEN v_left = 0;
  END LOOP;
  RETURN p_amount - v_left;
END;
$$;

-- The sweeper's step: up to `p_limit` accounts with due lots (of pool `p_pool_id`, or all), locked
-- in id order, skipping those a call holds (it expires them itself), brought up to `p_at` (null:
-- now). The candidates are the soonest due lots, four times the limit of them, so that a step finds
-- free accounts while calls hold the first ones. accounts: how many it locked (0: none due, or
-- every candidate held); rows: the expire rows written.
CREATE FUNCTION "ledger_expire_sweep"(p_pool_id int, p_at timestamptz, p_limit int, OUT accounts int, OUT rows int, OUT queued boolean)
LANGUAGE plpgsql AS $$
DECLARE
  v_at timestamptz := COALESCE(p_at, now());
  v_ids int[];
BEGIN
  SELECT array_agg(a.id ORDER BY a.id) INTO v_ids
    FROM (SELECT a.id FROM ledger_account a
           WHERE a.id = ANY (ARRAY(SELECT l.account_id FROM ledger_lot l
                                    WHERE l.remaining > 0 AND l.expires_at <= v_at
                                      AND (p_pool_id IS NULL OR EXISTS (SELECT 1 FROM ledger_account p WHERE p.id = l.account_id AND p.pool_id = p_pool_id))
                                    ORDER BY l.expires_at LIMIT p_limit * 4))
           ORDER BY a.id LIMIT p_limit FOR UPDATE SKIP LOCKED) a;
  accounts := COALESCE(cardinality(v_ids), 0);
  SELECT x.rows, x.queued INTO rows, queued FROM ledger_expire(COALESCE(v_ids, '{}'), v_at) x;
END;
$$;

-- The OPEN API's store look-up, as before (20261207000000_store_time_zone), at `p_at`, and with
-- when a credit made now would lapse (null: the pool has no period).
DROP FUNCTION "open_api_store"(int, text, text, int, int, int);
CREATE FUNCTION "open_api_store"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, p_count int, p_stamp_count_max int, p_point_count_max int
) RETURNS TABLE(pool_id int, daily_limit int, day date, calls int, within_unit boolean, has_webhook boolean, expires_on date, expires_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT s.pool_id, s.daily_limit, d.day, u.calls,
         p_count IS NULL OR p_count <= CASE s.unit WHEN 'stamp' THEN p_stamp_count_max ELSE p_point_count_max END,
         EXISTS (SELECT 1 FROM store_webhook w WHERE w.store_id = s.id),
         e.expires_on, e.expires_at
    FROM store s
    JOIN pool p ON p.id = s.pool_id
   CROSS JOIN LATERAL (SELECT COALESCE(s.time_zone, p_time_zone) AS zone) z
   CROSS JOIN LATERAL (SELECT (COALESCE(p_at, now()) AT TIME ZONE z.zone)::date AS day) d
   CROSS JOIN LATERAL lot_end(d.day, p.expiry_days, z.zone) e
    LEFT JOIN daily_usage u ON u.store_id = s.id AND u.day = d.day
   WHERE s.id = p_store_id AND s.auth_code_hash = p_auth_code_hash AND s.active;
$$;

DROP FUNCTION "open_api_gate"(int, text, text);
CREATE FUNCTION "open_api_gate"(p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, OUT status text, OUT pool_id int)
LANGUAGE plpgsql AS $$
DECLARE
  v_daily_limit int;
  v_day date;
BEGIN
  SELECT g.pool_id, g.daily_limit, g.day INTO pool_id, v_daily_limit, v_day
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, p_at, NULL, NULL, NULL) g;
  status := CASE WHEN NOT FOUND THEN 'auth_failed' ELSE open_api_count_call(p_store_id, v_day, v_daily_limit, 'ok') END;
END;
$$;

-- The account a read names in the caller's pool, brought up to `p_at` (what is due expires, under
-- the account's lock) and then the call counted, last. A read refused by the counter answers
-- nothing, but what was due has expired: that is the ledger's own step, not the call's change.
-- status: ok | auth_failed | rate_limited | member_not_found.
CREATE FUNCTION "open_api_read_account"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, p_phone text, p_member_no int,
  OUT status text, OUT account_id int, OUT member_no int, OUT balance int, OUT expiring int, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_daily_limit int;
  v_day date;
  v_at timestamptz := COALESCE(p_at, now());
BEGIN
  SELECT g.pool_id, g.daily_limit, g.day INTO v_pool_id, v_daily_limit, v_day
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, p_at, NULL, NULL, NULL) g;
  IF NOT FOUND THEN
    status := 'auth_failed';
    RETURN;
  END IF;
  SELECT a.id, a.member_id, a.balance, a.expiring INTO account_id, member_no, balance, expiring
    FROM open_api_member(p_phone, p_member_no) m JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id;
  queued := false;
  IF expiring > 0 AND ledger_due(account_id, v_at) THEN
    SELECT x.balance, x.expiring, x.queued INTO balance, expiring, queued FROM ledger_expire_account(account_id, v_at) x;
  END IF;
  status := open_api_count_call(p_store_id, v_day, v_daily_limit, CASE WHEN account_id IS NULL THEN 'member_not_found' ELSE 'ok' END);
  IF status <> 'ok' THEN
    SELECT NULL, NULL, NULL, NULL INTO account_id, member_no, balance, expiring;
  END IF;
END;
$$;

-- A member's balance in the caller's pool; with p_with_expiry, `expiring`: the next three dates
-- on which part of it lapses, [{count, date}] (date: the last day, YYYY-MM-DD), oldest first.
-- status: ok | auth_failed | rate_limited | member_not_found.
DROP FUNCTION "open_api_balance"(int, text, text, text, int);
CREATE FUNCTION "open_api_balance"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, p_phone text, p_member_no int, p_with_expiry boolean,
  OUT status text, OUT member_no int, OUT balance int, OUT expiring json, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_account_id int;
BEGIN
  SELECT r.status, r.account_id, r.member_no, r.balance, r.queued INTO status, v_account_id, member_no, balance, queued
    FROM open_api_read_account(p_store_id, p_auth_code_hash, p_time_zone, p_at, p_phone, p_member_no) r;
  IF status = 'ok' AND p_with_expiry THEN
    SELECT COALESCE(json_agg(json_build_object('count', d.count, 'date', to_char(d.expires_on, 'YYYY-MM-DD')) ORDER BY d.expires_on), '[]')
      INTO expiring
      FROM (SELECT l.expires_on, sum(l.remaining)::int AS count FROM ledger_lot l
             WHERE l.account_id = v_account_id AND l.remaining > 0
             GROUP BY l.expires_on ORDER BY l.expires_on LIMIT 3) d;
  END IF;
END;
$$;

-- One page of a member's entries in the caller's pool, newest first, as before, after what was due expired.
-- status: ok | auth_failed | rate_limited | member_not_found.
DROP FUNCTION "open_api_history"(int, text, text, text, int, int, int);
CREATE FUNCTION "open_api_history"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, p_phone text, p_member_no int, p_page int, p_page_size int,
  OUT status text, OUT member_no int, OUT entries json, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_account_id int;
BEGIN
  SELECT r.status, r.account_id, r.member_no, r.queued INTO status, v_account_id, member_no, queued
    FROM open_api_read_account(p_store_id, p_auth_code_hash, p_time_zone, p_at, p_phone, p_member_no) r;
  IF status <> 'ok' THEN
    RETURN;
  END IF;
  SELECT COALESCE(json_agg(r ORDER BY r.id DESC), '[]') INTO entries
    FROM (SELECT e.id, s.login_id, COALESCE(NULLIF(s.place, ''), s.name) AS place, e.kind, e.delta,
                 to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS date
            FROM ledger_entry e JOIN store s ON s.id = e.store_id
           WHERE e.account_id = v_account_id
           ORDER BY e.id DESC
           LIMIT p_page_size OFFSET (p_page - 1)::bigint * p_page_size) r;
END;
$$;

-- The changes, as before (20261204100000_open_api_ledger_functions) with three more steps: at
-- `p_at`; after the account's lock, what is due expires (only for an account holding lots);
-- a credit in a pool with a period writes its lot, a debit takes from the lots first.

-- Save (p_delta > 0) or use (p_delta < 0) of a member's balance in the caller's pool.
-- status: applied | replayed | key_reused | auth_failed | rate_limited | count_above_unit_max
--       | member_not_found | insufficient_balance | above_maximum.
DROP FUNCTION "open_api_change_balance"(int, text, text, int, int, text, int, int, boolean, text, text);
CREATE FUNCTION "open_api_change_balance"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, p_stamp_count_max int, p_point_count_max int,
  p_phone text, p_member_no int, p_delta int, p_register boolean, p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_at timestamptz := COALESCE(p_at, now());
  v_pool_id int;
  v_day date;
  v_daily_limit int;
  v_calls int;
  v_within_unit boolean;
  v_has_webhook boolean;
  v_expires_on date;
  v_expires_at timestamptz;
  v_member_id int;
  v_account_id int;
  v_balance int;
  v_expiring int;
  v_max_balance int;
  v_expiring_change int := 0;
  v_entry_id int;
  v_created_at timestamptz;
BEGIN
  -- Gate.
  SELECT g.pool_id, g.daily_limit, g.day, g.calls, g.within_unit, g.has_webhook, g.expires_on, g.expires_at
    INTO v_pool_id, v_daily_limit, v_day, v_calls, v_within_unit, v_has_webhook, v_expires_on, v_expires_at
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, p_at, abs(p_delta), p_stamp_count_max, p_point_count_max) g;
  IF NOT FOUND THEN
    status := 'auth_failed';
    RETURN;
  END IF;
  IF p_key IS NOT NULL THEN
    SELECT r.status, r.member_no, r.balance INTO status, member_no, balance
      FROM open_api_recorded_answer(p_store_id, v_day, v_daily_limit, p_key, p_fingerprint) r;
  END IF;
  status := COALESCE(status, CASE WHEN v_calls >= v_daily_limit THEN 'rate_limited'
                                  WHEN NOT v_within_unit THEN open_api_count_call(p_store_id, v_day, v_daily_limit, 'count_above_unit_max') END);
  IF status IS NOT NULL THEN
    RETURN;
  END IF;

  -- Locks: the account; for a phone the call may register and the pool does not know, first the
  -- phone's lock, and then a fresh look (whoever held the lock may have registered it).
  SELECT a.member_id, a.id, a.balance, a.expiring, COALESCE(a.max_balance, 2147483647)
    INTO v_member_id, v_account_id, v_balance, v_expiring, v_max_balance
    FROM open_api_member(p_phone, p_member_no) m JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id FOR UPDATE OF a;
  IF v_account_id IS NULL AND p_register AND p_phone IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_phone, 0));
    SELECT m.id INTO v_member_id FROM member m WHERE m.phone = p_phone;
    SELECT a.id, a.balance, a.expiring, COALESCE(a.max_balance, 2147483647) INTO v_account_id, v_balance, v_expiring, v_max_balance
      FROM ledger_account a WHERE a.pool_id = v_pool_id AND a.member_id = v_member_id FOR UPDATE;
  END IF;
  -- Expire what is due.
  queued := false;
  IF v_expiring > 0 AND ledger_due(v_account_id, v_at) THEN
    SELECT x.balance, x.expiring, x.queued INTO v_balance, v_expiring, queued FROM ledger_expire_account(v_account_id, v_at) x;
  END IF;
  -- Checks.
  status := CASE
    WHEN v_account_id IS NULL AND NOT (p_register AND p_phone IS NOT NULL) THEN 'member_not_found'
    WHEN COALESCE(v_balance, 0)::bigint + p_delta < 0 THEN 'insufficient_balance'
    WHEN COALESCE(v_balance, 0)::bigint + p_delta > COALESCE(v_max_balance, 2147483647) THEN 'above_maximum'
    ELSE 'applied' END;

  -- Count, last: a call the limit refuses now writes nothing (but what was due has expired).
  status := open_api_count_call(p_store_id, v_day, v_daily_limit, status);
  IF status <> 'applied' THEN
    RETURN;
  END IF;

  -- Write: a credit's lot when the pool has a period; a debit from the lots first.
  IF p_delta > 0 AND v_expires_at IS NOT NULL THEN
    v_expiring_change := p_delta;
  ELSIF p_delta < 0 AND v_expiring > 0 THEN
    v_expiring_change := -ledger_lots_take(v_account_id, -p_delta);
  END IF;
  IF v_member_id IS NULL THEN
    INSERT INTO member (phone) VALUES (p_phone) RETURNING id INTO v_member_id;
  END IF;
  IF v_account_id IS NULL THEN
    INSERT INTO ledger_account (pool_id, member_id, balance, expiring) VALUES (v_pool_id, v_member_id, p_delta, v_expiring_change)
    RETURNING id, ledger_account.balance INTO v_account_id, balance;
  ELSE
    UPDATE ledger_account a SET balance = a.balance + p_delta, expiring = a.expiring + v_expiring_change, updated_at = now()
     WHERE a.id = v_account_id RETURNING a.balance INTO balance;
  END IF;
  INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
  VALUES (v_account_id, p_store_id, CASE WHEN p_delta > 0 THEN 'save' ELSE 'use' END::"EntryKind", p_delta, balance)
  RETURNING id, created_at INTO v_entry_id, v_created_at;
  IF p_delta > 0 AND v_expires_at IS NOT NULL THEN
    INSERT INTO ledger_lot (account_id, entry_id, store_id, amount, remaining, expires_on, expires_at)
    VALUES (v_account_id, v_entry_id, p_store_id, p_delta, p_delta, v_expires_on, v_expires_at);
  END IF;
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id) VALUES (p_store_id, p_key, p_fingerprint, v_entry_id);
  END IF;
  member_no := v_member_id;
  IF v_has_webhook THEN
    queued := queue_webhook_event(p_store_id, 'POINT', CASE WHEN p_delta > 0 THEN 'SAVE' ELSE 'USE' END, p_delta, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_member_id, 'entryId', v_entry_id, 'balance', balance)) OR queued;
  END IF;
END;
$$;

-- A transfer (양도) of p_count from a member (the giver) to another (the receiver) in the
-- caller's pool: two ledger rows that name each other (counterpart_id).
-- status: applied | replayed | key_reused | auth_failed | rate_limited | count_above_unit_max
--       | member_not_found | same_member | insufficient_balance | above_maximum.
DROP FUNCTION "open_api_transfer"(int, text, text, int, int, text, int, text, int, int, text, text);
CREATE FUNCTION "open_api_transfer"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, p_stamp_count_max int, p_point_count_max int,
  p_phone text, p_member_no int, p_to_phone text, p_to_member_no int, p_count int, p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT to_member_no int, OUT to_balance int, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_at timestamptz := COALESCE(p_at, now());
  v_pool_id int;
  v_day date;
  v_daily_limit int;
  v_calls int;
  v_within_unit boolean;
  v_has_webhook boolean;
  v_expires_on date;
  v_expires_at timestamptz;
  v_giver_id int;
  v_receiver_id int;
  v_giver_account int;
  v_receiver_account int;
  v_giver_balance int;
  v_giver_expiring int;
  v_receiver_balance int;
  v_receiver_max int;
  v_taken int := 0;
  v_received int := 0;
  v_locked record;
  v_expired_queued boolean;
  v_balance int;
  v_expiring int;
  v_giver_entry int;
  v_receiver_entry int;
  v_created_at timestamptz;
BEGIN
  -- Gate.
  SELECT g.pool_id, g.daily_limit, g.day, g.calls, g.within_unit, g.has_webhook, g.expires_on, g.expires_at
    INTO v_pool_id, v_daily_limit, v_day, v_calls, v_within_unit, v_has_webhook, v_expires_on, v_expires_at
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, p_at, p_count, p_stamp_count_max, p_point_count_max) g;
  IF NOT FOUND THEN
    status := 'auth_failed';
    RETURN;
  END IF;
  IF p_key IS NOT NULL THEN
    SELECT r.status, r.member_no, r.balance, r.to_member_no, r.to_balance INTO status, member_no, balance, to_member_no, to_balance
      FROM open_api_recorded_answer(p_store_id, v_day, v_daily_limit, p_key, p_fingerprint) r;
  END IF;
  status := COALESCE(status, CASE WHEN v_calls >= v_daily_limit THEN 'rate_limited'
                                  WHEN NOT v_within_unit THEN open_api_count_call(p_store_id, v_day, v_daily_limit, 'count_above_unit_max') END);
  IF status IS NOT NULL THEN
    RETURN;
  END IF;

  -- The members and their accounts in the pool, looked up without locks (an account's id never changes).
  SELECT m.id, a.id INTO v_giver_id, v_giver_account
    FROM open_api_member(p_phone, p_member_no) m LEFT JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id;
  SELECT m.id, a.id INTO v_receiver_id, v_receiver_account
    FROM open_api_member(p_to_phone, p_to_member_no) m LEFT JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id;
  -- Locks: a receiver phone new to the pool first (then a fresh look), then both accounts in id order.
  IF v_giver_account IS NOT NULL AND v_receiver_account IS NULL AND p_to_phone IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_to_phone, 0));
    SELECT m.id, a.id INTO v_receiver_id, v_receiver_account
      FROM member m LEFT JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id WHERE m.phone = p_to_phone;
  END IF;
  queued := false;
  FOR v_locked IN
    SELECT a.id, a.balance, a.expiring, COALESCE(a.max_balance, 2147483647) AS max_balance
      FROM ledger_account a WHERE a.id IN (v_giver_account, v_receiver_account) ORDER BY a.id FOR UPDATE
  LOOP
    -- Expire what is due, on each account as it is locked.
    v_balance := v_locked.balance;
    v_expiring := v_locked.expiring;
    IF v_expiring > 0 AND ledger_due(v_locked.id, v_at) THEN
      SELECT x.balance, x.expiring, x.queued INTO v_balance, v_expiring, v_expired_queued FROM ledger_expire_account(v_locked.id, v_at) x;
      queued := queued OR v_expired_queued;
    END IF;
    IF v_locked.id = v_giver_account THEN
      v_giver_balance := v_balance;
      v_giver_expiring := v_expiring;
    ELSE
      v_receiver_balance := v_balance;
      v_receiver_max := v_locked.max_balance;
    END IF;
  END LOOP;
  -- Checks.
  status := CASE
    WHEN v_giver_account IS NULL THEN 'member_not_found'
    WHEN v_receiver_account IS NULL AND p_to_phone IS NULL THEN 'member_not_found'
    WHEN v_receiver_id = v_giver_id THEN 'same_member'
    WHEN v_giver_balance < p_count THEN 'insufficient_balance'
    WHEN COALESCE(v_receiver_balance, 0)::bigint + p_count > COALESCE(v_receiver_max, 2147483647) THEN 'above_maximum'
    ELSE 'applied' END;

  -- Count, last: a call the limit refuses now writes nothing (but what was due has expired).
  status := open_api_count_call(p_store_id, v_day, v_daily_limit, status);
  IF status <> 'applied' THEN
    RETURN;
  END IF;

  -- Write: the giver's lots first, the balances, then the two rows, whose ids are drawn now so
  -- that each names the other, and the receiver's lot when the pool has a period.
  IF v_giver_expiring > 0 THEN
    v_taken := ledger_lots_take(v_giver_account, p_count);
  END IF;
  IF v_expires_at IS NOT NULL THEN
    v_received := p_count;
  END IF;
  IF v_receiver_id IS NULL THEN
    INSERT INTO member (phone) VALUES (p_to_phone) RETURNING id INTO v_receiver_id;
  END IF;
  UPDATE ledger_account a SET balance = a.balance - p_count, expiring = a.expiring - v_taken, updated_at = now()
   WHERE a.id = v_giver_account RETURNING a.balance INTO balance;
  IF v_receiver_account IS NULL THEN
    INSERT INTO ledger_account (pool_id, member_id, balance, expiring) VALUES (v_pool_id, v_receiver_id, p_count, v_received)
    RETURNING id, ledger_account.balance INTO v_receiver_account, to_balance;
  ELSE
    UPDATE ledger_account a SET balance = a.balance + p_count, expiring = a.expiring + v_received, updated_at = now()
     WHERE a.id = v_receiver_account RETURNING a.balance INTO to_balance;
  END IF;
  v_giver_entry := nextval(pg_get_serial_sequence('ledger_entry', 'id'));
  v_receiver_entry := nextval(pg_get_serial_sequence('ledger_entry', 'id'));
  INSERT INTO ledger_entry (id, account_id, store_id, kind, delta, balance_after, counterpart_id)
  VALUES (v_giver_entry, v_giver_account, p_store_id, 'transfer', -p_count, balance, v_receiver_entry),
         (v_receiver_entry, v_receiver_account, p_store_id, 'transfer', p_count, to_balance, v_giver_entry);
  IF v_expires_at IS NOT NULL THEN
    INSERT INTO ledger_lot (account_id, entry_id, store_id, amount, remaining, expires_on, expires_at)
    VALUES (v_receiver_account, v_receiver_entry, p_store_id, p_count, p_count, v_expires_on, v_expires_at);
  END IF;
  SELECT e.created_at INTO v_created_at FROM ledger_entry e WHERE e.id = v_giver_entry;
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id) VALUES (p_store_id, p_key, p_fingerprint, v_giver_entry);
  END IF;
  member_no := v_giver_id;
  to_member_no := v_receiver_id;
  IF v_has_webhook THEN
    queued := queue_webhook_event(p_store_id, 'POINT', 'TRANSFER', -p_count, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_giver_id, 'entryId', v_giver_entry, 'balance', balance)) OR queued;
    queued := queue_webhook_event(p_store_id, 'POINT', 'TRANSFER', p_count, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_receiver_id, 'entryId', v_receiver_entry, 'balance', to_balance)) OR queued;
  END IF;
END;
$$;

-- A reversal (취소) of one save or use of a member in the caller's pool. Reversing a use is a
-- credit (a new lot when the pool has a period); reversing a save is a debit (from the lots that
-- lapse first, not necessarily the save's own).
-- status: applied | replayed | key_reused | auth_failed | rate_limited | member_not_found
--       | history_not_found | already_reversed | insufficient_balance | above_maximum.
DROP FUNCTION "open_api_reverse"(int, text, text, text, int, int, text, text);
CREATE FUNCTION "open_api_reverse"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_at timestamptz, p_phone text, p_member_no int, p_entry_id int,
  p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_at timestamptz := COALESCE(p_at, now());
  v_pool_id int;
  v_day date;
  v_daily_limit int;
  v_calls int;
  v_within_unit boolean;
  v_has_webhook boolean;
  v_expires_on date;
  v_expires_at timestamptz;
  v_member_id int;
  v_account_id int;
  v_delta int;
  v_reversed boolean;
  v_balance int;
  v_expiring int;
  v_max_balance int;
  v_expiring_change int := 0;
  v_entry_id int;
  v_created_at timestamptz;
BEGIN
  -- Gate.
  SELECT g.pool_id, g.daily_limit, g.day, g.calls, g.within_unit, g.has_webhook, g.expires_on, g.expires_at
    INTO v_pool_id, v_daily_limit, v_day, v_calls, v_within_unit, v_has_webhook, v_expires_on, v_expires_at
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, p_at, NULL, NULL, NULL) g;
  IF NOT FOUND THEN
    status := 'auth_failed';
    RETURN;
  END IF;
  IF p_key IS NOT NULL THEN
    SELECT r.status, r.member_no, r.balance INTO status, member_no, balance
      FROM open_api_recorded_answer(p_store_id, v_day, v_daily_limit, p_key, p_fingerprint) r;
  END IF;
  status := COALESCE(status, CASE WHEN v_calls >= v_daily_limit THEN 'rate_limited'
                                  WHEN NOT v_within_unit THEN open_api_count_call(p_store_id, v_day, v_daily_limit, 'count_above_unit_max') END);
  IF status IS NOT NULL THEN
    RETURN;
  END IF;

  -- Locks: the original row, then its account.
  SELECT a.member_id, a.id INTO v_member_id, v_account_id
    FROM open_api_member(p_phone, p_member_no) m JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id;
  SELECT e.delta, e.reversed INTO v_delta, v_reversed
    FROM ledger_entry e WHERE e.id = p_entry_id AND e.account_id = v_account_id AND e.kind IN ('save', 'use') FOR UPDATE;
  SELECT a.balance, a.expiring, COALESCE(a.max_balance, 2147483647) INTO v_balance, v_expiring, v_max_balance
    FROM ledger_account a WHERE a.id = v_account_id AND v_delta IS NOT NULL FOR UPDATE;
  -- Expire what is due.
  queued := false;
  IF v_expiring > 0 AND ledger_due(v_account_id, v_at) THEN
    SELECT x.balance, x.expiring, x.queued INTO v_balance, v_expiring, queued FROM ledger_expire_account(v_account_id, v_at) x;
  END IF;
  -- Checks.
  status := CASE
    WHEN v_account_id IS NULL THEN 'member_not_found'
    WHEN v_delta IS NULL THEN 'history_not_found'
    WHEN v_reversed THEN 'already_reversed'
    WHEN v_balance::bigint - v_delta < 0 THEN 'insufficient_balance'
    WHEN v_balance::bigint - v_delta > v_max_balance THEN 'above_maximum'
    ELSE 'applied' END;

  -- Count, last: a call the limit refuses now writes nothing (but what was due has expired).
  status := open_api_count_call(p_store_id, v_day, v_daily_limit, status);
  IF status <> 'applied' THEN
    RETURN;
  END IF;

  -- Write.
  IF v_delta < 0 AND v_expires_at IS NOT NULL THEN
    v_expiring_change := -v_delta;
  ELSIF v_delta > 0 AND v_expiring > 0 THEN
    v_expiring_change := -ledger_lots_take(v_account_id, v_delta);
  END IF;
  UPDATE ledger_account a SET balance = a.balance - v_delta, expiring = a.expiring + v_expiring_change, updated_at = now()
   WHERE a.id = v_account_id RETURNING a.balance INTO balance;
  UPDATE ledger_entry e SET reversed = true WHERE e.id = p_entry_id;
  INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, reverses_id)
  VALUES (v_account_id, p_store_id, 'reversal', -v_delta, balance, p_entry_id)
  RETURNING id, created_at INTO v_entry_id, v_created_at;
  IF v_delta < 0 AND v_expires_at IS NOT NULL THEN
    INSERT INTO ledger_lot (account_id, entry_id, store_id, amount, remaining, expires_on, expires_at)
    VALUES (v_account_id, v_entry_id, p_store_id, -v_delta, -v_delta, v_expires_on, v_expires_at);
  END IF;
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id) VALUES (p_store_id, p_key, p_fingerprint, v_entry_id);
  END IF;
  member_no := v_member_id;
  IF v_has_webhook THEN
    queued := queue_webhook_event(p_store_id, 'POINT', 'REVERSAL', -v_delta, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_member_id, 'entryId', v_entry_id, 'balance', balance)) OR queued;
  END IF;
END;
$$;

-- The import, as before (20261207000000_store_time_zone): an opening balance is a credit, so in a
-- pool with a period it is a lot dated from the day of the import in the importing store's zone;
-- at `p_at` (null: now), like the OPEN API's functions.
DROP FUNCTION "ledger_import"(int, text, boolean, int[], text[], int[], int[], text[], text[]);
CREATE FUNCTION "ledger_import"(
  p_store_id int, p_time_zone text, p_at timestamptz, p_write boolean,
  p_lines int[], p_phones text[], p_member_nos int[], p_balances int[], p_joined text[], p_memos text[],
  OUT status text, OUT problems json, OUT new_members int, OUT new_accounts int
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_time_zone text;
  v_expires_on date;
  v_expires_at timestamptz;
  v_accounts int[];
  v_lines import_line[];
  v_max_kept int;
  v_member_seq text := pg_get_serial_sequence('member', 'id');
  v_account_seq text := pg_get_serial_sequence('ledger_account', 'id');
BEGIN
  SELECT s.pool_id, z.zone, e.expires_on, e.expires_at INTO v_pool_id, v_time_zone, v_expires_on, v_expires_at
    FROM store s JOIN pool p ON p.id = s.pool_id
   CROSS JOIN LATERAL (SELECT COALESCE(s.time_zone, p_time_zone) AS zone) z
   CROSS JOIN LATERAL lot_end((COALESCE(p_at, now()) AT TIME ZONE z.zone)::date, p.expiry_days, z.zone) e
   WHERE s.id = p_store_id;
  IF NOT FOUND THEN
    status := 'store_not_found';
    RETURN;
  END IF;

  -- Locks: the accounts the lines' members have in the pool, in id order; on them, a write first
  -- expires what is due.
  SELECT array_agg(a.id) INTO v_accounts
    FROM (SELECT a.id FROM ledger_account a
           WHERE a.pool_id = v_pool_id
             AND a.member_id IN (SELECT m.id FROM unnest(p_phones) AS l(phone) JOIN member m ON m.phone = l.phone
                                 UNION ALL
                                 SELECT l.member_no FROM unnest(p_phones, p_member_nos) AS l(phone, member_no) WHERE l.phone IS NULL)
           ORDER BY a.id FOR UPDATE) a;
  IF p_write THEN
    PERFORM ledger_expire(v_accounts, COALESCE(p_at, now()));
  END IF;

  -- Checks, on the locked rows.
  SELECT array_agg(ROW(r.line, r.phone, r.member_no, r.balance, r.joined, r.memo, r.member_id, a.id, a.balance,
    CASE
      WHEN r.phone IS NOT NULL AND r.number_phone <> r.phone THEN 'number_taken'
      WHEN r.member_no IS NOT NULL AND r.phone_member <> r.member_no THEN 'phone_has_other_number'
      WHEN r.member_id IS NULL AND r.phone IS NULL THEN 'member_not_found'
      WHEN r.member_id IS NOT NULL AND r.lines_naming > 1 THEN 'member_named_twice'
      WHEN EXISTS (SELECT 1 FROM ledger_entry e WHERE e.account_id = a.id AND e.kind = 'import') THEN 'already_imported'
      WHEN COALESCE(a.balance, 0)::bigint + r.balance > 2147483647 THEN 'above_maximum'
    END, r.member_id IS NULL)::import_line ORDER BY r.line)
    INTO v_lines
    FROM (SELECT m.*, count(*) OVER (PARTITION BY m.member_id) AS lines_naming
            FROM (SELECT l.*, bp.id AS phone_member, bn.phone AS number_phone, COALESCE(bp.id, CASE WHEN l.phone IS NULL THEN bn.id END) AS member_id
                    FROM unnest(p_lines, p_phones, p_member_nos, p_balances, p_joined, p_memos) AS l(line, phone, member_no, balance, joined, memo)
                    LEFT JOIN member bp ON bp.phone = l.phone
                    LEFT JOIN member bn ON bn.id = l.member_no) m) r
    LEFT JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = r.member_id;

  SELECT json_agg(json_build_object('line', l.line, 'problem', l.problem) ORDER BY l.line) FILTER (WHERE l.problem IS NOT NULL),
         count(*) FILTER (WHERE l.new_member), count(*) FILTER (WHERE l.account_id IS NULL),
         max(l.member_no) FILTER (WHERE l.new_member)
    INTO problems, new_members, new_accounts, v_max_kept
    FROM unnest(v_lines) l;
  status := CASE WHEN problems IS NULL THEN 'ok' ELSE 'rejected' END;
  IF status <> 'ok' OR NOT p_write THEN
    RETURN;
  END IF;

  -- Write. Kept numbers first move the sequence past them; then every new member and new account
  -- gets its id now, so that the rows below are written from the lines alone.
  IF v_max_kept > COALESCE(pg_sequence_last_value(v_member_seq::regclass), 0) THEN
    PERFORM setval(v_member_seq, v_max_kept);
  END IF;
  SELECT array_agg(ROW(l.line, l.phone, l.member_no, l.balance, l.joined, l.memo,
                       COALESCE(l.member_id, l.member_no, nextval(v_member_seq)),
                       COALESCE(l.account_id, nextval(v_account_seq)), l.account_balance, NULL, l.new_member)::import_line ORDER BY l.line)
    INTO v_lines FROM unnest(v_lines) l;
  INSERT INTO member (id, phone, created_at)
  SELECT l.member_id, l.phone, COALESCE(l.joined::timestamp AT TIME ZONE v_time_zone, now())
    FROM unnest(v_lines) l WHERE l.new_member;
  INSERT INTO ledger_account (id, pool_id, member_id, balance, expiring)
  SELECT l.account_id, v_pool_id, l.member_id, l.balance, CASE WHEN v_expires_at IS NOT NULL THEN l.balance ELSE 0 END
    FROM unnest(v_lines) l WHERE l.account_balance IS NULL;
  UPDATE ledger_account a
     SET balance = a.balance + l.balance, expiring = a.expiring + CASE WHEN v_expires_at IS NOT NULL THEN l.balance ELSE 0 END, updated_at = now()
    FROM unnest(v_lines) l WHERE a.id = l.account_id AND l.account_balance IS NOT NULL AND l.balance > 0;
  -- Each opening balance is a credit: a lot when the pool has a period.
  WITH e AS (
    INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, memo)
    SELECT l.account_id, p_store_id, 'import', l.balance, COALESCE(l.account_balance, 0) + l.balance, l.memo
      FROM unnest(v_lines) l WHERE l.balance > 0 ORDER BY l.line
    RETURNING id, account_id, delta
  )
  INSERT INTO ledger_lot (account_id, entry_id, store_id, amount, remaining, expires_on, expires_at)
  SELECT e.account_id, e.id, p_store_id, e.delta, e.delta, v_expires_on, v_expires_at FROM e WHERE v_expires_at IS NOT NULL;
END;
$$;
