-- The OPEN API's side of the ledger (issue 15, docs/ledger.md): one function per operation,
-- each reading top to bottom as gate, idempotency, locks, checks, count, write. Each returns one
-- row whose `status` is one of the closed set named in its header; the answer's values are null
-- unless the status is `applied` or `replayed` (`ok` for the reads).
--
-- Lock order, the same in every function, so that no two calls wait for each other in a circle:
--   1. the idempotency key (advisory lock on the store and the key's hash),
--   2. a phone that the call may register or open an account for (advisory lock on its hash),
--   3. the rows it changes: the original entry of a reversal, then accounts in id order,
--   4. the store's daily counter, LAST: its row is held from its update to the commit, so every
--      call of the store waits while it is held, and it must never be held while waiting for
--      anything else. Reads take no lock but the counter, so they count first (open_api_gate).
--
-- A call that is refused after authentication is counted like any other while the store's
-- limit has room; once the counter refuses it, the call answers `rate_limited` with nothing
-- written. Only a store's authenticated calls are counted.
--
-- A change queues the webhook event of each row it writes (queue_webhook_event) when the store
-- had a webhook as its gate read it: a webhook set while the change runs is set after it.

-- Counts one call of a store on its day, unless the day's count has reached the store's limit.
-- Returns the call's status: `p_status` once counted, rate_limited when the limit refused it.
CREATE FUNCTION "open_api_count_call"(p_store_id int, p_day date, p_daily_limit int, p_status text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO daily_usage AS u (store_id, day, calls) VALUES (p_store_id, p_day, 1)
  ON CONFLICT (store_id, day) DO UPDATE SET calls = u.calls + 1 WHERE u.calls < p_daily_limit;
  RETURN CASE WHEN FOUND THEN p_status ELSE 'rate_limited' END;
END;
$$;

-- The member a call names: by phone (any member with that phone) or by member number; used in
-- FROM, where PostgreSQL inlines it. Whether the caller's pool may see the member is decided by
-- its account there (shared/spec/migration.md, "Member privacy between pools"): a pool finds only
-- members with an account in it.
CREATE FUNCTION "open_api_member"(p_phone text, p_member_no int) RETURNS TABLE(id int) LANGUAGE sql STABLE AS $$
  SELECT m.id FROM member m WHERE m.phone = p_phone
  UNION ALL
  SELECT p_member_no WHERE p_phone IS NULL;
$$;

-- The store a call authenticates as (its id, the SHA-256 of its auth code, active), in one query
-- that PostgreSQL inlines into its caller's: its pool, its day in `p_time_zone`, the day's count
-- so far as last committed (read without locking the counter; null before the first call),
-- whether `p_count` (null: none) is within the ceiling of the store's unit, and whether the store
-- has a webhook. No row: authentication failed.
CREATE FUNCTION "open_api_store"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_count int, p_stamp_count_max int, p_point_count_max int
) RETURNS TABLE(pool_id int, daily_limit int, day date, calls int, within_unit boolean, has_webhook boolean) LANGUAGE sql STABLE AS $$
  SELECT s.pool_id, s.daily_limit, d.day, u.calls,
         p_count IS NULL OR p_count <= CASE s.unit WHEN 'stamp' THEN p_stamp_count_max ELSE p_point_count_max END,
         EXISTS (SELECT 1 FROM store_webhook w WHERE w.store_id = s.id)
    FROM store s
   CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE p_time_zone)::date AS day) d
    LEFT JOIN daily_usage u ON u.store_id = s.id AND u.day = d.day
   WHERE s.id = p_store_id AND s.auth_code_hash = p_auth_code_hash AND s.active;
$$;

-- The gate of a call that locks nothing else (a read, a refusal of bad parameters): authenticates
-- the store (its id, the SHA-256 of its auth code, active) and counts the call on the store's
-- day in `p_time_zone`, first.
-- status: ok | auth_failed | rate_limited. pool_id: the store's pool (null on auth_failed).
CREATE FUNCTION "open_api_gate"(p_store_id int, p_auth_code_hash text, p_time_zone text, OUT status text, OUT pool_id int)
LANGUAGE plpgsql AS $$
DECLARE
  v_daily_limit int;
  v_day date;
BEGIN
  SELECT g.pool_id, g.daily_limit, g.day INTO pool_id, v_daily_limit, v_day
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, NULL, NULL, NULL) g;
  status := CASE WHEN NOT FOUND THEN 'auth_failed' ELSE open_api_count_call(p_store_id, v_day, v_daily_limit, 'ok') END;
END;
$$;

-- A member's balance in the caller's pool.
-- status: ok | auth_failed | rate_limited | member_not_found.
CREATE FUNCTION "open_api_balance"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_phone text, p_member_no int,
  OUT status text, OUT member_no int, OUT balance int
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
BEGIN
  SELECT g.status, g.pool_id INTO status, v_pool_id FROM open_api_gate(p_store_id, p_auth_code_hash, p_time_zone) g;
  IF status <> 'ok' THEN
    RETURN;
  END IF;
  SELECT a.member_id, a.balance INTO member_no, balance
    FROM open_api_member(p_phone, p_member_no) m JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id;
  IF NOT FOUND THEN
    status := 'member_not_found';
  END IF;
END;
$$;

-- One page of a member's entries in the caller's pool, newest first: `entries` is a JSON array
-- of {id, login_id, place, kind, delta, date}, `place` being the branch name of the store that
-- made the entry, or its name, and `date` UTC in ISO 8601 with seconds and `Z`.
-- status: ok | auth_failed | rate_limited | member_not_found.
CREATE FUNCTION "open_api_history"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_phone text, p_member_no int, p_page int, p_page_size int,
  OUT status text, OUT member_no int, OUT entries json
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_account_id int;
BEGIN
  SELECT g.status, g.pool_id INTO status, v_pool_id FROM open_api_gate(p_store_id, p_auth_code_hash, p_time_zone) g;
  IF status <> 'ok' THEN
    RETURN;
  END IF;
  SELECT a.id, a.member_id INTO v_account_id, member_no
    FROM open_api_member(p_phone, p_member_no) m JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id;
  IF NOT FOUND THEN
    status := 'member_not_found';
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

-- The idempotency look-up of a change: takes the key's lock, so that calls with one key run one
-- after the other and the second sees the first's record, then reads the answer recorded for the
-- key. status: null (the key is new), replayed (the answer, with the same fingerprint) or
-- key_reused (another operation or other parameters; no answer). A call it answers is counted
-- while the day's limit has room, and answered even once the limit is reached.
CREATE FUNCTION "open_api_recorded_answer"(
  p_store_id int, p_day date, p_daily_limit int, p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT to_member_no int, OUT to_balance int
) LANGUAGE plpgsql AS $$
DECLARE
  v_fingerprint text;
BEGIN
  PERFORM pg_advisory_xact_lock(p_store_id, hashtext(p_key));
  SELECT k.fingerprint, a.member_id, e.balance_after, ca.member_id, c.balance_after
    INTO v_fingerprint, member_no, balance, to_member_no, to_balance
    FROM idempotency_key k
    JOIN ledger_entry e ON e.id = k.entry_id
    JOIN ledger_account a ON a.id = e.account_id
    LEFT JOIN ledger_entry c ON c.id = e.counterpart_id
    LEFT JOIN ledger_account ca ON ca.id = c.account_id
   WHERE k.store_id = p_store_id AND k.key = p_key;
  IF NOT FOUND THEN
    RETURN;
  ELSIF v_fingerprint = p_fingerprint THEN
    status := 'replayed';
  ELSE
    SELECT 'key_reused', NULL, NULL, NULL, NULL INTO status, member_no, balance, to_member_no, to_balance;
  END IF;
  PERFORM open_api_count_call(p_store_id, p_day, p_daily_limit, status);
END;
$$;

-- The gate of every change below, in three steps before its locks: authentication
-- (open_api_store), the idempotency key (open_api_recorded_answer), then a refusal at once of a
-- call over the limit (not counted: the counter is full) or over the unit's ceiling (counted:
-- it has no locks to take first). Each change spells these dozen lines out rather than calling
-- a PL/pgSQL gate function: a nested PL/pgSQL call costs a query of its own, and with it (and
-- the lookups it needed apart) a save ran at 0.8x the old statement's rate instead of 1.3x.

-- Save (p_delta > 0) or use (p_delta < 0) of a member's balance in the caller's pool. With
-- p_register, a phone unknown to the pool is registered (a new member, or a member of another
-- pool getting an account in this one); otherwise the member must have an account in the pool.
-- |p_delta| may be at most the ceiling of the store's unit (p_stamp_count_max, p_point_count_max).
-- p_key: the idempotency key, or null; p_fingerprint: the operation and its parameters' hash.
-- status: applied | replayed | key_reused | auth_failed | rate_limited | count_above_unit_max
--       | member_not_found | insufficient_balance | above_maximum.
-- queued: a webhook event was queued with the change.
CREATE FUNCTION "open_api_change_balance"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_stamp_count_max int, p_point_count_max int,
  p_phone text, p_member_no int, p_delta int, p_register boolean, p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_day date;
  v_daily_limit int;
  v_calls int;
  v_within_unit boolean;
  v_has_webhook boolean;
  v_member_id int;
  v_account_id int;
  v_balance int;
  v_max_balance int;
  v_entry_id int;
  v_created_at timestamptz;
BEGIN
  -- Gate.
  SELECT g.pool_id, g.daily_limit, g.day, g.calls, g.within_unit, g.has_webhook
    INTO v_pool_id, v_daily_limit, v_day, v_calls, v_within_unit, v_has_webhook
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, abs(p_delta), p_stamp_count_max, p_point_count_max) g;
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
  SELECT a.member_id, a.id, a.balance, COALESCE(a.max_balance, 2147483647) INTO v_member_id, v_account_id, v_balance, v_max_balance
    FROM open_api_member(p_phone, p_member_no) m JOIN ledger_account a ON a.pool_id = v_pool_id AND a.member_id = m.id FOR UPDATE OF a;
  IF v_account_id IS NULL AND p_register AND p_phone IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_phone, 0));
    SELECT m.id INTO v_member_id FROM member m WHERE m.phone = p_phone;
    SELECT a.id, a.balance, COALESCE(a.max_balance, 2147483647) INTO v_account_id, v_balance, v_max_balance
      FROM ledger_account a WHERE a.pool_id = v_pool_id AND a.member_id = v_member_id FOR UPDATE;
  END IF;
  -- Checks.
  status := CASE
    WHEN v_account_id IS NULL AND NOT (p_register AND p_phone IS NOT NULL) THEN 'member_not_found'
    WHEN COALESCE(v_balance, 0)::bigint + p_delta < 0 THEN 'insufficient_balance'
    WHEN COALESCE(v_balance, 0)::bigint + p_delta > COALESCE(v_max_balance, 2147483647) THEN 'above_maximum'
    ELSE 'applied' END;

  -- Count, last: a call the limit refuses now writes nothing.
  status := open_api_count_call(p_store_id, v_day, v_daily_limit, status);
  IF status <> 'applied' THEN
    RETURN;
  END IF;

  -- Write.
  IF v_member_id IS NULL THEN
    INSERT INTO member (phone) VALUES (p_phone) RETURNING id INTO v_member_id;
  END IF;
  IF v_account_id IS NULL THEN
    INSERT INTO ledger_account (pool_id, member_id, balance) VALUES (v_pool_id, v_member_id, p_delta) RETURNING id, ledger_account.balance
      INTO v_account_id, balance;
  ELSE
    UPDATE ledger_account a SET balance = a.balance + p_delta, updated_at = now() WHERE a.id = v_account_id RETURNING a.balance INTO balance;
  END IF;
  INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
  VALUES (v_account_id, p_store_id, CASE WHEN p_delta > 0 THEN 'save' ELSE 'use' END::"EntryKind", p_delta, balance)
  RETURNING id, created_at INTO v_entry_id, v_created_at;
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id) VALUES (p_store_id, p_key, p_fingerprint, v_entry_id);
  END IF;
  member_no := v_member_id;
  queued := false;
  IF v_has_webhook THEN
    queued := queue_webhook_event(p_store_id, 'POINT', CASE WHEN p_delta > 0 THEN 'SAVE' ELSE 'USE' END, p_delta, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_member_id, 'entryId', v_entry_id, 'balance', balance));
  END IF;
END;
$$;

-- A transfer (양도) of p_count from a member (the giver) to another (the receiver) in the
-- caller's pool: two ledger rows that name each other (counterpart_id). A receiver phone unknown
-- to the pool is registered; the giver, and a receiver named by member number, must have an
-- account in the pool. p_count may be at most the ceiling of the store's unit.
-- status: applied | replayed | key_reused | auth_failed | rate_limited | count_above_unit_max
--       | member_not_found | same_member | insufficient_balance | above_maximum.
CREATE FUNCTION "open_api_transfer"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_stamp_count_max int, p_point_count_max int,
  p_phone text, p_member_no int, p_to_phone text, p_to_member_no int, p_count int, p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT to_member_no int, OUT to_balance int, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_day date;
  v_daily_limit int;
  v_calls int;
  v_within_unit boolean;
  v_has_webhook boolean;
  v_giver_id int;
  v_receiver_id int;
  v_giver_account int;
  v_receiver_account int;
  v_giver_balance int;
  v_receiver_balance int;
  v_receiver_max int;
  v_locked record;
  v_giver_entry int;
  v_receiver_entry int;
  v_created_at timestamptz;
BEGIN
  -- Gate.
  SELECT g.pool_id, g.daily_limit, g.day, g.calls, g.within_unit, g.has_webhook
    INTO v_pool_id, v_daily_limit, v_day, v_calls, v_within_unit, v_has_webhook
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, p_count, p_stamp_count_max, p_point_count_max) g;
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
  FOR v_locked IN
    SELECT a.id, a.balance, COALESCE(a.max_balance, 2147483647) AS max_balance
      FROM ledger_account a WHERE a.id IN (v_giver_account, v_receiver_account) ORDER BY a.id FOR UPDATE
  LOOP
    IF v_locked.id = v_giver_account THEN
      v_giver_balance := v_locked.balance;
    ELSE
      v_receiver_balance := v_locked.balance;
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

  -- Count, last: a call the limit refuses now writes nothing.
  status := open_api_count_call(p_store_id, v_day, v_daily_limit, status);
  IF status <> 'applied' THEN
    RETURN;
  END IF;

  -- Write: the balances, then the two rows, whose ids are drawn now so that each names the other.
  IF v_receiver_id IS NULL THEN
    INSERT INTO member (phone) VALUES (p_to_phone) RETURNING id INTO v_receiver_id;
  END IF;
  UPDATE ledger_account a SET balance = a.balance - p_count, updated_at = now() WHERE a.id = v_giver_account RETURNING a.balance INTO balance;
  IF v_receiver_account IS NULL THEN
    INSERT INTO ledger_account (pool_id, member_id, balance) VALUES (v_pool_id, v_receiver_id, p_count) RETURNING id, ledger_account.balance
      INTO v_receiver_account, to_balance;
  ELSE
    UPDATE ledger_account a SET balance = a.balance + p_count, updated_at = now() WHERE a.id = v_receiver_account
    RETURNING a.balance INTO to_balance;
  END IF;
  v_giver_entry := nextval(pg_get_serial_sequence('ledger_entry', 'id'));
  v_receiver_entry := nextval(pg_get_serial_sequence('ledger_entry', 'id'));
  INSERT INTO ledger_entry (id, account_id, store_id, kind, delta, balance_after, counterpart_id)
  VALUES (v_giver_entry, v_giver_account, p_store_id, 'transfer', -p_count, balance, v_receiver_entry),
         (v_receiver_entry, v_receiver_account, p_store_id, 'transfer', p_count, to_balance, v_giver_entry);
  SELECT e.created_at INTO v_created_at FROM ledger_entry e WHERE e.id = v_giver_entry;
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id) VALUES (p_store_id, p_key, p_fingerprint, v_giver_entry);
  END IF;
  member_no := v_giver_id;
  to_member_no := v_receiver_id;
  queued := false;
  IF v_has_webhook THEN
    queued := queue_webhook_event(p_store_id, 'POINT', 'TRANSFER', -p_count, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_giver_id, 'entryId', v_giver_entry, 'balance', balance));
    queued := queue_webhook_event(p_store_id, 'POINT', 'TRANSFER', p_count, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_receiver_id, 'entryId', v_receiver_entry, 'balance', to_balance)) OR queued;
  END IF;
END;
$$;

-- A reversal (취소) of one save or use of a member in the caller's pool: one compensating row
-- with the opposite delta that names the original (reverses_id), the balance change, and the
-- original marked `reversed`. A second reversal of one row waits for the first on the original's
-- lock and then reads it `reversed`.
-- status: applied | replayed | key_reused | auth_failed | rate_limited | member_not_found
--       | history_not_found | already_reversed | insufficient_balance | above_maximum.
CREATE FUNCTION "open_api_reverse"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_phone text, p_member_no int, p_entry_id int,
  p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT queued boolean
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_day date;
  v_daily_limit int;
  v_calls int;
  v_within_unit boolean;
  v_has_webhook boolean;
  v_member_id int;
  v_account_id int;
  v_delta int;
  v_reversed boolean;
  v_balance int;
  v_max_balance int;
  v_entry_id int;
  v_created_at timestamptz;
BEGIN
  -- Gate.
  SELECT g.pool_id, g.daily_limit, g.day, g.calls, g.within_unit, g.has_webhook
    INTO v_pool_id, v_daily_limit, v_day, v_calls, v_within_unit, v_has_webhook
    FROM open_api_store(p_store_id, p_auth_code_hash, p_time_zone, NULL, NULL, NULL) g;
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
  SELECT a.balance, COALESCE(a.max_balance, 2147483647) INTO v_balance, v_max_balance
    FROM ledger_account a WHERE a.id = v_account_id AND v_delta IS NOT NULL FOR UPDATE;
  -- Checks.
  status := CASE
    WHEN v_account_id IS NULL THEN 'member_not_found'
    WHEN v_delta IS NULL THEN 'history_not_found'
    WHEN v_reversed THEN 'already_reversed'
    WHEN v_balance::bigint - v_delta < 0 THEN 'insufficient_balance'
    WHEN v_balance::bigint - v_delta > v_max_balance THEN 'above_maximum'
    ELSE 'applied' END;

  -- Count, last: a call the limit refuses now writes nothing.
  status := open_api_count_call(p_store_id, v_day, v_daily_limit, status);
  IF status <> 'applied' THEN
    RETURN;
  END IF;

  -- Write.
  UPDATE ledger_account a SET balance = a.balance - v_delta, updated_at = now() WHERE a.id = v_account_id RETURNING a.balance INTO balance;
  UPDATE ledger_entry e SET reversed = true WHERE e.id = p_entry_id;
  INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, reverses_id)
  VALUES (v_account_id, p_store_id, 'reversal', -v_delta, balance, p_entry_id)
  RETURNING id, created_at INTO v_entry_id, v_created_at;
  IF p_key IS NOT NULL THEN
    INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id) VALUES (p_store_id, p_key, p_fingerprint, v_entry_id);
  END IF;
  member_no := v_member_id;
  queued := false;
  IF v_has_webhook THEN
    queued := queue_webhook_event(p_store_id, 'POINT', 'REVERSAL', -v_delta, v_created_at,
      json_build_object('storeId', p_store_id, 'memberNo', v_member_id, 'entryId', v_entry_id, 'balance', balance));
  END IF;
END;
$$;
