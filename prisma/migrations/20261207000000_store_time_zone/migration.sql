-- Each store's own time zone (shared/spec/expiry.md, "Time zone per store"): an IANA name, or null
-- for the server's TIME_ZONE, which the ledger functions still receive as `p_time_zone`. Wherever a
-- store's calendar day or local time is used, COALESCE(store.time_zone, p_time_zone) wins; a store
-- without one answers exactly as before. Each function below is replaced whole, otherwise unchanged;
-- no lock is added or moved.

-- Whether PostgreSQL knows the zone `p_name` (AT TIME ZONE refuses an unknown one): the CHECK below,
-- and the operator's commands ask it before they write, to answer a clear error.
CREATE FUNCTION "time_zone_known"(p_name text) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  PERFORM now() AT TIME ZONE p_name;
  RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END;
$$;

ALTER TABLE "store" ADD COLUMN "time_zone" TEXT;
ALTER TABLE "store" ADD CONSTRAINT "store_time_zone_known" CHECK (time_zone IS NULL OR time_zone_known(time_zone));

-- The zone of a store's calendar day: its own, else `p_default` (the server's TIME_ZONE).
CREATE FUNCTION "store_time_zone"(p_store_id int, p_default text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT COALESCE((SELECT s.time_zone FROM store s WHERE s.id = p_store_id), p_default)
$$;

-- The OPEN API's daily limit counts on the store's day.
CREATE OR REPLACE FUNCTION "open_api_store"(
  p_store_id int, p_auth_code_hash text, p_time_zone text, p_count int, p_stamp_count_max int, p_point_count_max int
) RETURNS TABLE(pool_id int, daily_limit int, day date, calls int, within_unit boolean, has_webhook boolean) LANGUAGE sql STABLE AS $$
  SELECT s.pool_id, s.daily_limit, d.day, u.calls,
         p_count IS NULL OR p_count <= CASE s.unit WHEN 'stamp' THEN p_stamp_count_max ELSE p_point_count_max END,
         EXISTS (SELECT 1 FROM store_webhook w WHERE w.store_id = s.id)
    FROM store s
   CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE COALESCE(s.time_zone, p_time_zone))::date AS day) d
    LEFT JOIN daily_usage u ON u.store_id = s.id AND u.day = d.day
   WHERE s.id = p_store_id AND s.auth_code_hash = p_auth_code_hash AND s.active;
$$;

-- The stamp API's gate resolves the store's zone once: its `today` and its rate windows.
CREATE OR REPLACE FUNCTION "stamp_api_gate"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb)
RETURNS "stamp_gate" LANGUAGE plpgsql STABLE AS $$
DECLARE
  g "stamp_gate";
  r "rate_usage";
BEGIN
  SELECT s.id, s.plan, s.plan >= p_min_plan, z.time_zone, c.at, (c.at AT TIME ZONE z.time_zone)::date,
         COALESCE(s.limit_per_minute, (p_plan_limits -> s.plan::text ->> 'minute')::int),
         COALESCE(s.limit_per_hour, (p_plan_limits -> s.plan::text ->> 'hour')::int),
         COALESCE(s.limit_per_day, (p_plan_limits -> s.plan::text ->> 'day')::int),
         date_trunc('minute', c.at, z.time_zone), date_trunc('hour', c.at, z.time_zone), date_trunc('day', c.at, z.time_zone),
         NULL
    INTO g
    FROM api_key k
    JOIN store s ON s.id = k.store_id AND s.active
    CROSS JOIN (SELECT COALESCE(p_at, now()) AS at) c
    CROSS JOIN LATERAL (SELECT COALESCE(s.time_zone, p_time_zone) AS time_zone) z
   WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL;
  IF g.store_id IS NOT NULL THEN
    -- Read without a lock: a full counter refuses the call before it waits for any row.
    SELECT * INTO r FROM rate_usage u WHERE u.store_id = g.store_id;
    g."full" := NOT rate_has_room(r, g);
  END IF;
  RETURN g;
END;
$$;

-- A stamp's `regYmdt` in its store's zone, for every caller (the APIs, the page, the console, events).
CREATE OR REPLACE FUNCTION "stamp_payload"(p_stamp_id int, p_time_zone text, p_public_base_url text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
      'stampIdx', s.id,
      'domain', COALESCE(s.domain, p_public_base_url),
      'cardIdx', c.id,
      'cardNm', c.name,
      'cardTtl', c.title,
      'stamps', a.balance,
      'maxStamps', a.max_balance,
      'stampUrl', COALESCE(s.domain, p_public_base_url) || '/stamp/' || s.page_code,
      'url', c.url,
      'strtYmd', to_char(s.valid_from, 'YYYY-MM-DD'),
      'endYmd', to_char(s.valid_until, 'YYYY-MM-DD'),
      'onsiteYn', CASE WHEN c.onsite_password IS NOT NULL THEN 'Y' ELSE 'N' END,
      'onsitePwd', c.onsite_password,
      'memo', s.memo,
      'activeYn', CASE WHEN s.active THEN 'Y' ELSE 'N' END,
      'userId', s.user_id,
      'userNm', s.user_name,
      'userPhnno', s.user_phone,
      'userEml', s.user_email,
      'userEtc1', s.user_etc1,
      'userEtc2', s.user_etc2,
      'stampImgUrl', COALESCE(c.stamp_image_url, p_public_base_url || '/static/stamp.svg'),
      'regYmdt', to_char(s.created_at AT TIME ZONE COALESCE(st.time_zone, p_time_zone), 'YYYY-MM-DD HH24:MI:SS'),
      'payloadVersion', 'v1')
    FROM stamp s JOIN card c ON c.id = s.card_id JOIN store st ON st.id = c.store_id JOIN ledger_account a ON a.id = s.account_id
   WHERE s.id = p_stamp_id
$$;

-- The stamp page's today is its store's.
CREATE OR REPLACE FUNCTION "stamp_page_read"(p_stamp_id int, p_page_code text, p_time_zone text, p_at timestamptz, p_public_base_url text,
  OUT status text, OUT stamp json)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  SELECT COALESCE(stamp_unusable(s, (COALESCE(p_at, now()) AT TIME ZONE COALESCE(st.time_zone, p_time_zone))::date), 'ok'),
         stamp_payload(s.id, p_time_zone, p_public_base_url)
    INTO status, stamp
    FROM stamp s JOIN card c ON c.id = s.card_id JOIN store st ON st.id = c.store_id
   WHERE s.id = p_stamp_id AND s.page_code = p_page_code AND s.deleted_at IS NULL AND st.active;
  IF NOT FOUND THEN status := 'stamp_not_found'; END IF;
END;
$$;

CREATE OR REPLACE FUNCTION "stamp_page_add"(p_stamp_id int, p_page_code text, p_password text, p_time_zone text, p_at timestamptz, p_public_base_url text,
  p_rules jsonb,
  OUT status text, OUT counted boolean, OUT failures int, OUT locked_until timestamptz, OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
DECLARE
  v_page record;
BEGIN
  SELECT s.id AS stamp_id, s.card_id, c.store_id, COALESCE(st.time_zone, p_time_zone) AS time_zone,
         c.onsite_password IS NOT NULL
           AND sha256(convert_to(c.onsite_password, 'UTF8')) = sha256(convert_to(p_password, 'UTF8')) AS correct
    INTO v_page
    FROM stamp s JOIN card c ON c.id = s.card_id JOIN store st ON st.id = c.store_id
   WHERE s.id = p_stamp_id AND s.page_code = p_page_code AND s.deleted_at IS NULL AND st.active;
  IF NOT FOUND THEN
    SELECT 'stamp_not_found', false, 0 INTO status, counted, failures;
    RETURN;
  END IF;
  status := stamp_add_checked(v_page.store_id, v_page.stamp_id, (COALESCE(p_at, now()) AT TIME ZONE v_page.time_zone)::date);
  SELECT * INTO counted, failures, locked_until FROM page_count_onsite_guess(v_page.stamp_id, v_page.card_id, v_page.correct, p_at, p_rules);
  IF NOT (counted AND v_page.correct) THEN
    status := 'wrong_onsite_password';
  END IF;
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_count_change(v_page.store_id, v_page.stamp_id, 'stamp_add', 1, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_add'];
END;
$$;

-- The console's stamp functions: today is the store's.

CREATE OR REPLACE FUNCTION "console_stamp_create"(p_store_id int, p_time_zone text, p_at timestamptz,
  p_card_id int, p_months int, p_page_code text, p_user_id text, p_user_phone text, p_user_name text,
  OUT status text, OUT stamp_idx int)
LANGUAGE plpgsql AS $$
DECLARE
  v_today date := (COALESCE(p_at, now()) AT TIME ZONE store_time_zone(p_store_id, p_time_zone))::date;
  v_until date := (v_today + make_interval(months => p_months))::date - 1;
  v_card "card";
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_user_phone, 0));
  v_card := stamp_target_card(p_store_id, p_card_id);
  status := stamp_create_status(v_card, v_today, v_until, v_today);
  IF status <> 'ok' THEN RETURN; END IF;
  SELECT s.id INTO stamp_idx FROM stamp s
   WHERE s.card_id = v_card.id AND s.user_phone = p_user_phone AND s.deleted_at IS NULL AND s.active AND NOT s.used
     AND s.valid_until >= v_today
   ORDER BY s.id DESC LIMIT 1;
  IF FOUND THEN
    status := 'already_open';
    RETURN;
  END IF;
  stamp_idx := stamp_insert(v_card, v_today, v_until, p_page_code, true, p_user_id, p_user_name, p_user_phone,
                            NULL, NULL, NULL, NULL, NULL);
END;
$$;

CREATE OR REPLACE FUNCTION "console_stamp_add"(p_store_id int, p_time_zone text, p_at timestamptz, p_public_base_url text, p_stamp_id int,
  p_expected int, OUT status text, OUT stamps int, OUT max_stamps int, OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
BEGIN
  status := stamp_add_checked(p_store_id, p_stamp_id, (COALESCE(p_at, now()) AT TIME ZONE store_time_zone(p_store_id, p_time_zone))::date);
  SELECT a.balance, a.max_balance INTO stamps, max_stamps FROM stamp s JOIN ledger_account a ON a.id = s.account_id
   WHERE s.id = p_stamp_id AND status <> 'stamp_not_found';
  IF status = 'ok' AND stamps <> p_expected THEN
    status := 'changed';
  END IF;
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_count_change(p_store_id, p_stamp_id, 'stamp_add', 1, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_add'];
  stamps := stamps + 1;
END;
$$;

CREATE OR REPLACE FUNCTION "console_stamp_redeem"(p_store_id int, p_time_zone text, p_at timestamptz, p_public_base_url text, p_stamp_id int,
  OUT status text, OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
BEGIN
  status := stamp_redeem_checked(p_store_id, p_stamp_id, (COALESCE(p_at, now()) AT TIME ZONE store_time_zone(p_store_id, p_time_zone))::date, false, NULL);
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_mark_used(p_store_id, p_stamp_id, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_use'];
END;
$$;

-- The import's `joined` dates are in the store's zone.
CREATE OR REPLACE FUNCTION "ledger_import"(
  p_store_id int, p_time_zone text, p_write boolean,
  p_lines int[], p_phones text[], p_member_nos int[], p_balances int[], p_joined text[], p_memos text[],
  OUT status text, OUT problems json, OUT new_members int, OUT new_accounts int
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_time_zone text;
  v_lines import_line[];
  v_max_kept int;
  v_member_seq text := pg_get_serial_sequence('member', 'id');
  v_account_seq text := pg_get_serial_sequence('ledger_account', 'id');
BEGIN
  SELECT s.pool_id, COALESCE(s.time_zone, p_time_zone) INTO v_pool_id, v_time_zone FROM store s WHERE s.id = p_store_id;
  IF NOT FOUND THEN
    status := 'store_not_found';
    RETURN;
  END IF;

  -- Locks: the accounts the lines' members have in the pool, in id order.
  PERFORM 1 FROM ledger_account a
   WHERE a.pool_id = v_pool_id
     AND a.member_id IN (SELECT m.id FROM unnest(p_phones) AS l(phone) JOIN member m ON m.phone = l.phone
                         UNION ALL
                         SELECT l.member_no FROM unnest(p_phones, p_member_nos) AS l(phone, member_no) WHERE l.phone IS NULL)
   ORDER BY a.id FOR UPDATE;

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
  INSERT INTO ledger_account (id, pool_id, member_id, balance)
  SELECT l.account_id, v_pool_id, l.member_id, l.balance FROM unnest(v_lines) l WHERE l.account_balance IS NULL;
  UPDATE ledger_account a SET balance = a.balance + l.balance, updated_at = now()
    FROM unnest(v_lines) l WHERE a.id = l.account_id AND l.account_balance IS NOT NULL AND l.balance > 0;
  INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after, memo)
  SELECT l.account_id, p_store_id, 'import', l.balance, COALESCE(l.account_balance, 0) + l.balance, l.memo
    FROM unnest(v_lines) l WHERE l.balance > 0 ORDER BY l.line;
END;
$$;
