-- Group commit (issue 19, docs/ledger.md "Batched calls"): saves and uses sent together, by one
-- function call and one commit, each with its own outcome, as if they had run one after the other
-- in the order given. A single call is a batch of one: `open_api_change_balance` is replaced by
-- `open_api_change_balances`, so that the rules of a save or a use are written once.

-- As before (20261208000100_expiry), as a set of one row: PostgreSQL inlines a SQL function
-- that returns a set into the query that calls it (the gate's), but runs one that returns a row
-- as a function of its own, planning its body anew on every call (60 us of a save's gate).
DROP FUNCTION "lot_end"(date, int, text);
CREATE FUNCTION "lot_end"(p_day date, p_days int, p_zone text)
RETURNS TABLE(expires_on date, expires_at timestamptz) LANGUAGE sql STABLE ROWS 1 AS $$
  SELECT p_day + p_days, (p_day + p_days + 1)::timestamp AT TIME ZONE p_zone;
$$;

-- The answer recorded for a store's idempotency key, without its lock (the caller holds it): no
-- row (the key is new), replayed with the recorded values (the same fingerprint), or key_reused
-- without values (another operation or other parameters).
CREATE FUNCTION "open_api_key_answer"(p_store_id int, p_key text, p_fingerprint text)
RETURNS TABLE(status text, member_no int, balance int, to_member_no int, to_balance int) LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN k.fingerprint = p_fingerprint THEN 'replayed' ELSE 'key_reused' END, v.*
    FROM idempotency_key k
    LEFT JOIN LATERAL (
      SELECT a.member_id, e.balance_after, ca.member_id, c.balance_after
        FROM ledger_entry e
        JOIN ledger_account a ON a.id = e.account_id
        LEFT JOIN ledger_entry c ON c.id = e.counterpart_id
        LEFT JOIN ledger_account ca ON ca.id = c.account_id
       WHERE e.id = k.entry_id AND k.fingerprint = p_fingerprint) v ON true
   WHERE k.store_id = p_store_id AND k.key = p_key;
$$;

-- As before (20261204100000_open_api_ledger_functions), its look-up now shared with the batch.
CREATE OR REPLACE FUNCTION "open_api_recorded_answer"(
  p_store_id int, p_day date, p_daily_limit int, p_key text, p_fingerprint text,
  OUT status text, OUT member_no int, OUT balance int, OUT to_member_no int, OUT to_balance int
) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(p_store_id, hashtext(p_key));
  SELECT r.status, r.member_no, r.balance, r.to_member_no, r.to_balance INTO status, member_no, balance, to_member_no, to_balance
    FROM open_api_key_answer(p_store_id, p_key, p_fingerprint) r;
  IF FOUND THEN
    PERFORM open_api_count_call(p_store_id, p_day, p_daily_limit, status);
  END IF;
END;
$$;

-- The account of each call's member in its pool, or null, by the call's index: one look-up by key
-- per call (a scalar subquery, which the planner does not turn into a join over every account).
CREATE FUNCTION "open_api_accounts"(p_pool_ids int[], p_phones text[], p_member_nos int[])
RETURNS TABLE(k int, account_id int) LANGUAGE sql STABLE AS $$
  SELECT k, (SELECT a.id FROM open_api_member(p_phones[k], p_member_nos[k]) m
               JOIN ledger_account a ON a.pool_id = p_pool_ids[k] AND a.member_id = m.id)
    FROM generate_subscripts(p_pool_ids, 1) k;
$$;

DROP FUNCTION "open_api_change_balance"(int, text, text, timestamptz, int, int, text, int, int, boolean, text, text);

-- Saves (delta > 0) and uses (delta < 0) of members' balances, one per index of the arrays (each
-- call: its store, the SHA-256 of its auth code, its time (null: now), its member by phone or by
-- number, its delta, whether it registers a phone unknown to the pool, its idempotency key and
-- fingerprint or nulls). Answers one row per call, in that order, with the statuses and values
-- of the one-call function it replaces:
--   applied | replayed | key_reused | auth_failed | rate_limited | count_above_unit_max
--   | member_not_found | insufficient_balance | above_maximum.
--
-- Locks, all before any check and in the order of docs/ledger.md section 3, each level's in one
-- fixed order so that two batches never wait for each other in a circle: the calls' idempotency
-- keys (by store and hash), the phones they may register (by hash), every account they name (by
-- id), and their stores' counters (by store and day), which move once, by the calls they count.
-- Then each call in turn: its recorded answer, the limit, the unit's ceiling, what is due
-- expires, the checks, the count, the write, exactly the steps of one call, seeing the rows the
-- calls before it wrote.
CREATE FUNCTION "open_api_change_balances"(
  p_time_zone text, p_stamp_count_max int, p_point_count_max int,
  p_store_ids int[], p_auth_code_hashes text[], p_ats timestamptz[],
  p_phones text[], p_member_nos int[], p_deltas int[], p_registers boolean[], p_keys text[], p_fingerprints text[]
) RETURNS TABLE(status text, member_no int, balance int, queued boolean) LANGUAGE plpgsql
-- Its statements take arrays, whose custom plans PostgreSQL would otherwise make anew for every
-- call (a plan per call halved a call's rate); their generic plans use the same indexes.
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  -- Each call's gate, by its index (pool null: authentication failed).
  g_pool int[];
  g_limit int[];
  g_day date[];
  g_within_unit boolean[];
  g_has_webhook boolean[];
  g_expires_on date[];
  g_expires_at timestamptz[];
  -- The counters, by counter index: store, day and limit (key: "store day"), and how many more
  -- of the batch's calls each counts.
  c_key text[];
  c_store int[];
  c_day date[];
  c_limit int[];
  c_room int[];
  v_calls int;
  v_locked int[];
  v_lock record;
  i int;
  c int;
  v_at timestamptz;
  v_phone text;
  v_delta int;
  v_member_id int;
  v_account_id int;
  v_balance int;
  v_expiring int;
  v_max_balance int;
  v_expiring_change int;
  v_entry_id int;
  v_created_at timestamptz;
BEGIN
  -- Gate, every call at once.
  SELECT array_agg(g.pool_id ORDER BY o.i), array_agg(g.daily_limit ORDER BY o.i), array_agg(g.day ORDER BY o.i),
         array_agg(g.within_unit ORDER BY o.i), array_agg(g.has_webhook ORDER BY o.i),
         array_agg(g.expires_on ORDER BY o.i), array_agg(g.expires_at ORDER BY o.i)
    INTO g_pool, g_limit, g_day, g_within_unit, g_has_webhook, g_expires_on, g_expires_at
    FROM unnest(p_store_ids, p_auth_code_hashes, p_ats, p_deltas) WITH ORDINALITY o(store_id, hash, at, delta, i)
    LEFT JOIN LATERAL open_api_store(o.store_id, o.hash, p_time_zone, o.at, abs(o.delta), p_stamp_count_max, p_point_count_max) g ON true;

  -- Locks: the keys; the phones to register that the pool does not know (whoever holds a phone
  -- may be registering it: the accounts' look below comes after); the accounts; the counters.
  IF cardinality(array_remove(p_keys, NULL)) > 0 THEN
    FOR v_lock IN
      SELECT DISTINCT p_store_ids[k] AS store_id, hashtext(p_keys[k]) AS hash FROM generate_subscripts(p_store_ids, 1) k
       WHERE g_pool[k] IS NOT NULL AND p_keys[k] IS NOT NULL ORDER BY 1, 2
    LOOP
      PERFORM pg_advisory_xact_lock(v_lock.store_id, v_lock.hash);
    END LOOP;
  END IF;
  FOR v_lock IN
    SELECT DISTINCT hashtextextended(p_phones[x.k], 0) AS hash FROM open_api_accounts(g_pool, p_phones, p_member_nos) x
     WHERE x.account_id IS NULL AND g_pool[x.k] IS NOT NULL AND p_registers[x.k] AND p_phones[x.k] IS NOT NULL
     ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(v_lock.hash);
  END LOOP;
  SELECT array_agg(l.id) INTO v_locked FROM (
    SELECT a.id FROM ledger_account a
     WHERE a.id = ANY (ARRAY(SELECT x.account_id FROM open_api_accounts(g_pool, p_phones, p_member_nos) x))
     ORDER BY a.id FOR UPDATE) l;
  -- The counters count the batch at once. A call is counted when its store's limit has room at
  -- its turn, whatever its outcome, so the first `room` calls of a store are the ones counted:
  -- each counter moves once, by all of its store's calls while that stays within the limit (a
  -- counter the upsert leaves alone is still locked), and otherwise up to the limit, below.
  WITH wanted AS (
    SELECT p_store_ids[k] AS store_id, g_day[k] AS day, min(g_limit[k]) AS daily_limit, count(*)::int AS calls
      FROM generate_subscripts(p_store_ids, 1) k WHERE g_pool[k] IS NOT NULL GROUP BY 1, 2),
  counted AS (
    INSERT INTO daily_usage AS u (store_id, day, calls)
    SELECT w.store_id, w.day, LEAST(w.calls, w.daily_limit) FROM wanted w ORDER BY 1, 2
    ON CONFLICT (store_id, day) DO UPDATE SET calls = u.calls + EXCLUDED.calls
     WHERE u.calls + EXCLUDED.calls <= (SELECT s.daily_limit FROM store s WHERE s.id = u.store_id)
    RETURNING u.store_id, u.day)
  SELECT array_agg(w.store_id || ' ' || w.day), array_agg(w.store_id), array_agg(w.day), array_agg(w.daily_limit),
         array_agg(CASE WHEN c.store_id IS NOT NULL THEN LEAST(w.calls, w.daily_limit) END)
    INTO c_key, c_store, c_day, c_limit, c_room
    FROM wanted w LEFT JOIN counted c ON c.store_id = w.store_id AND c.day = w.day;
  FOR c IN 1 .. COALESCE(cardinality(c_key), 0) LOOP
    CONTINUE WHEN c_room[c] IS NOT NULL;
    SELECT u.calls INTO v_calls FROM daily_usage u WHERE u.store_id = c_store[c] AND u.day = c_day[c];
    c_room[c] := GREATEST(c_limit[c] - v_calls, 0);
    UPDATE daily_usage u SET calls = u.calls + c_room[c] WHERE u.store_id = c_store[c] AND u.day = c_day[c] AND c_room[c] > 0;
  END LOOP;

  FOR i IN 1 .. COALESCE(cardinality(p_store_ids), 0) LOOP
    status := NULL;
    member_no := NULL;
    balance := NULL;
    queued := false;
    c := array_position(c_key, p_store_ids[i] || ' ' || g_day[i]);
    v_at := COALESCE(p_ats[i], now());
    v_phone := p_phones[i];
    v_delta := p_deltas[i];
    IF g_pool[i] IS NULL THEN
      status := 'auth_failed';
      RETURN NEXT;
      CONTINUE;
    END IF;
    -- The key's recorded answer, counted while the limit has room and answered even once it is reached.
    IF p_keys[i] IS NOT NULL THEN
      SELECT r.status, r.member_no, r.balance INTO status, member_no, balance
        FROM open_api_key_answer(p_store_ids[i], p_keys[i], p_fingerprints[i]) r;
    END IF;
    IF status IS NULL AND c_room[c] = 0 THEN
      status := 'rate_limited';
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF status IS NULL AND NOT g_within_unit[i] THEN
      status := 'count_above_unit_max';
    END IF;
    IF status IS NOT NULL THEN
      c_room[c] := GREATEST(c_room[c] - 1, 0);
      RETURN NEXT;
      CONTINUE;
    END IF;

    -- The account, locked above or opened by a call before this one; for a phone to register,
    -- the member the phone already is.
    SELECT a.member_id, a.id, a.balance, a.expiring, COALESCE(a.max_balance, 2147483647)
      INTO v_member_id, v_account_id, v_balance, v_expiring, v_max_balance
      FROM open_api_member(v_phone, p_member_nos[i]) m JOIN ledger_account a ON a.pool_id = g_pool[i] AND a.member_id = m.id
     WHERE a.id = ANY (v_locked);
    IF v_account_id IS NULL AND p_registers[i] AND v_phone IS NOT NULL THEN
      SELECT m.id INTO v_member_id FROM member m WHERE m.phone = v_phone;
    END IF;
    -- Expire what is due.
    IF v_expiring > 0 AND ledger_due(v_account_id, v_at) THEN
      SELECT x.balance, x.expiring, x.queued INTO v_balance, v_expiring, queued FROM ledger_expire_account(v_account_id, v_at) x;
    END IF;
    -- Checks.
    status := CASE
      WHEN v_account_id IS NULL AND NOT (p_registers[i] AND v_phone IS NOT NULL) THEN 'member_not_found'
      WHEN COALESCE(v_balance, 0)::bigint + v_delta < 0 THEN 'insufficient_balance'
      WHEN COALESCE(v_balance, 0)::bigint + v_delta > COALESCE(v_max_balance, 2147483647) THEN 'above_maximum'
      ELSE 'applied' END;
    -- Count: the limit had room when this call passed it above.
    c_room[c] := c_room[c] - 1;
    IF status <> 'applied' THEN
      RETURN NEXT;
      CONTINUE;
    END IF;

    -- Write: a credit's lot when the pool has a period; a debit from the lots first.
    v_expiring_change := 0;
    IF v_delta > 0 AND g_expires_at[i] IS NOT NULL THEN
      v_expiring_change := v_delta;
    ELSIF v_delta < 0 AND v_expiring > 0 THEN
      v_expiring_change := -ledger_lots_take(v_account_id, -v_delta);
    END IF;
    IF v_member_id IS NULL THEN
      INSERT INTO member (phone) VALUES (v_phone) RETURNING id INTO v_member_id;
    END IF;
    IF v_account_id IS NULL THEN
      INSERT INTO ledger_account (pool_id, member_id, balance, expiring) VALUES (g_pool[i], v_member_id, v_delta, v_expiring_change)
      RETURNING id, ledger_account.balance INTO v_account_id, balance;
      v_locked := v_locked || v_account_id;
    ELSE
      UPDATE ledger_account a SET balance = a.balance + v_delta, expiring = a.expiring + v_expiring_change, updated_at = now()
       WHERE a.id = v_account_id RETURNING a.balance INTO balance;
    END IF;
    INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
    VALUES (v_account_id, p_store_ids[i], CASE WHEN v_delta > 0 THEN 'save' ELSE 'use' END::"EntryKind", v_delta, balance)
    RETURNING id, created_at INTO v_entry_id, v_created_at;
    IF v_delta > 0 AND g_expires_at[i] IS NOT NULL THEN
      INSERT INTO ledger_lot (account_id, entry_id, store_id, amount, remaining, expires_on, expires_at)
      VALUES (v_account_id, v_entry_id, p_store_ids[i], v_delta, v_delta, g_expires_on[i], g_expires_at[i]);
    END IF;
    IF p_keys[i] IS NOT NULL THEN
      INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id) VALUES (p_store_ids[i], p_keys[i], p_fingerprints[i], v_entry_id);
    END IF;
    member_no := v_member_id;
    IF g_has_webhook[i] THEN
      queued := queue_webhook_event(p_store_ids[i], 'POINT', CASE WHEN v_delta > 0 THEN 'SAVE' ELSE 'USE' END, v_delta, v_created_at,
        json_build_object('storeId', p_store_ids[i], 'memberNo', v_member_id, 'entryId', v_entry_id, 'balance', balance)) OR queued;
    END IF;
    RETURN NEXT;
  END LOOP;

END;
$$;
