-- Batched entries (issue 19): a batch of saves and uses (20261209000000_group_commit) writes its
-- entries, lots and idempotency keys in one statement per table instead of one per call, and the
-- activity figures (20261206100000_console_members) move once per statement instead of once per
-- row: per save, the row trigger's function call and upsert cost as much as the entry's insert.

-- The activity figures, as the row trigger counted them, from a statement's new rows: each of the
-- statement's (store, slot) pairs moves once, in (store, slot) order (the lock order's last level).
DROP TRIGGER "store_activity_count" ON "ledger_entry";
DROP FUNCTION "store_activity_count"();
CREATE FUNCTION "store_activity_count"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO store_activity AS a (store_id, slot, saves, saved, uses, used, new_members, card_stamps)
  SELECT r.store_id, store_activity_slot(r.at),
         sum(CASE WHEN r.kind = 'save' THEN r.sign ELSE 0 END), sum(CASE WHEN r.kind = 'save' THEN r.sign * r.delta ELSE 0 END),
         sum(CASE WHEN r.kind = 'use' THEN r.sign ELSE 0 END), sum(CASE WHEN r.kind = 'use' THEN -r.sign * r.delta ELSE 0 END),
         sum(r.is_new::int), sum(CASE WHEN r.kind = 'stamp_add' THEN r.delta ELSE 0 END)
    FROM (
      -- A reversal counts against its original's store, kind, amount and slot. Each original is
      -- looked up by its key (OFFSET 0 keeps the subquery apart): as a join, a plan made while
      -- the table was small hashed all of it, and a session keeps its plan as the table grows.
      SELECT COALESCE(o.store_id, n.store_id) AS store_id, COALESCE(o.kind, n.kind) AS kind, COALESCE(o.delta, n.delta) AS delta,
             COALESCE(o.created_at, n.created_at) AS at, CASE WHEN n.kind = 'reversal' THEN -1 ELSE 1 END AS sign,
             n.kind IN ('save', 'transfer') AND n.delta > 0
               AND NOT EXISTS (SELECT 1 FROM ledger_entry p WHERE p.account_id = n.account_id AND p.id < n.id) AS is_new
        FROM new_entries n
        LEFT JOIN LATERAL (
          SELECT e.store_id, e.kind, e.delta, e.created_at FROM ledger_entry e WHERE e.id = n.reverses_id OFFSET 0) o ON true
       WHERE n.kind IN ('save', 'use', 'transfer', 'reversal', 'stamp_add')) r
   WHERE r.kind IN ('save', 'use', 'stamp_add') OR r.is_new
   GROUP BY 1, 2
   ORDER BY 1, 2
  ON CONFLICT (store_id, slot) DO UPDATE
    SET saves = a.saves + EXCLUDED.saves, saved = a.saved + EXCLUDED.saved, uses = a.uses + EXCLUDED.uses,
        used = a.used + EXCLUDED.used, new_members = a.new_members + EXCLUDED.new_members,
        card_stamps = a.card_stamps + EXCLUDED.card_stamps;
  RETURN NULL;
END;
$$;
CREATE TRIGGER "store_activity_count" AFTER INSERT ON "ledger_entry"
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT
  EXECUTE FUNCTION "store_activity_count"();

-- A batch's entries from index p_from on, with their ids, then those entries' lots (a credit in a
-- pool with a period: its end) and idempotency keys; answers the index after the last.
CREATE FUNCTION "open_api_write_entries"(
  p_from int, p_ids int[], p_account_ids int[], p_store_ids int[], p_deltas int[], p_balances int[],
  p_expires_on date[], p_expires_at timestamptz[], p_keys text[], p_fingerprints text[]
) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF p_from > cardinality(p_ids) THEN
    RETURN p_from;
  END IF;
  INSERT INTO ledger_entry (id, account_id, store_id, kind, delta, balance_after)
  SELECT p_ids[k], p_account_ids[k], p_store_ids[k], CASE WHEN p_deltas[k] > 0 THEN 'save' ELSE 'use' END::"EntryKind", p_deltas[k], p_balances[k]
    FROM generate_series(p_from, cardinality(p_ids)) k ORDER BY k;
  IF cardinality(array_remove(p_expires_at[p_from:], NULL)) > 0 THEN
    INSERT INTO ledger_lot (account_id, entry_id, store_id, amount, remaining, expires_on, expires_at)
    SELECT p_account_ids[k], p_ids[k], p_store_ids[k], p_deltas[k], p_deltas[k], p_expires_on[k], p_expires_at[k]
      FROM generate_series(p_from, cardinality(p_ids)) k WHERE p_expires_at[k] IS NOT NULL ORDER BY k;
  END IF;
  IF cardinality(array_remove(p_keys[p_from:], NULL)) > 0 THEN
    INSERT INTO idempotency_key (store_id, key, fingerprint, entry_id)
    SELECT p_store_ids[k], p_keys[k], p_fingerprints[k], p_ids[k]
      FROM generate_series(p_from, cardinality(p_ids)) k WHERE p_keys[k] IS NOT NULL ORDER BY k;
  END IF;
  RETURN cardinality(p_ids) + 1;
END;
$$;

-- As before (20261209000000_group_commit), but for where the entries, lots and keys are written:
-- after the loop, or when a call is to read them.
CREATE OR REPLACE FUNCTION "open_api_change_balances"(
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
  v_created_at timestamptz := now()::timestamptz(3);
  -- The applied calls' entries, lots and keys, by the order of their turns, written together: at
  -- the end, or first when a call is to read such rows (its key's, its account's lots). Each entry
  -- has the id its call took in its turn, so that ids keep the calls' order.
  w_n int := 0;
  w_from int := 1;
  w_id int[] := '{}';
  w_account int[] := '{}';
  w_store int[] := '{}';
  w_delta int[] := '{}';
  w_balance int[] := '{}';
  w_expires_on date[] := '{}';
  w_expires_at timestamptz[] := '{}';
  w_key text[] := '{}';
  w_fingerprint text[] := '{}';
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
    -- The key's recorded answer (the batch's keys written first), counted while the limit has room and
    -- answered even once it is reached.
    IF p_keys[i] IS NOT NULL THEN
      w_from := open_api_write_entries(w_from, w_id, w_account, w_store, w_delta, w_balance, w_expires_on, w_expires_at, w_key, w_fingerprint);
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
    -- Expire what is due, from lots that include the batch's own (an account without an
    -- expiring part has no lot to read: a new one's is null, which must not reach ledger_due).
    IF v_expiring > 0 THEN
      w_from := open_api_write_entries(w_from, w_id, w_account, w_store, w_delta, w_balance, w_expires_on, w_expires_at, w_key, w_fingerprint);
      IF ledger_due(v_account_id, v_at) THEN
        SELECT x.balance, x.expiring, x.queued INTO v_balance, v_expiring, queued FROM ledger_expire_account(v_account_id, v_at) x;
      END IF;
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
    v_entry_id := nextval('ledger_entry_id_seq');
    w_n := w_n + 1;
    w_id[w_n] := v_entry_id;
    w_account[w_n] := v_account_id;
    w_store[w_n] := p_store_ids[i];
    w_delta[w_n] := v_delta;
    w_balance[w_n] := balance;
    w_expires_on[w_n] := CASE WHEN v_delta > 0 THEN g_expires_on[i] END;
    w_expires_at[w_n] := CASE WHEN v_delta > 0 THEN g_expires_at[i] END;
    w_key[w_n] := p_keys[i];
    w_fingerprint[w_n] := p_fingerprints[i];
    member_no := v_member_id;
    IF g_has_webhook[i] THEN
      queued := queue_webhook_event(p_store_ids[i], 'POINT', CASE WHEN v_delta > 0 THEN 'SAVE' ELSE 'USE' END, v_delta, v_created_at,
        json_build_object('storeId', p_store_ids[i], 'memberNo', v_member_id, 'entryId', v_entry_id, 'balance', balance)) OR queued;
    END IF;
    RETURN NEXT;
  END LOOP;
  w_from := open_api_write_entries(w_from, w_id, w_account, w_store, w_delta, w_balance, w_expires_on, w_expires_at, w_key, w_fingerprint);
END;
$$;
