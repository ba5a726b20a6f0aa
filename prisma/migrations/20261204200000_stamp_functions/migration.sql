-- The stamp API (Vivoldi) and the stamp page as one PL/pgSQL function per operation (issue 15,
-- docs/ledger.md). Each API operation reads top to bottom:
--   1. gate: stamp_api_gate finds the store by the API key's hash, checks the plan and reads the
--      store's rate counter WITHOUT locking it; stamp_api_enter refuses early (unauthorized,
--      plan_required, or rate_limited when the counter was already full);
--   2. lock the stamp, then its account (FOR UPDATE, always in this order): under READ COMMITTED
--      each later statement sees the rows as locked, so concurrent calls on one stamp run one
--      after the other and each sees the previous one's result;
--   3. check: the status, from the locked rows;
--   4. count the call on the store's rate counter LAST (stamp_count_call): its row is then held
--      only until the commit that follows at once. Every authenticated call whose plan fits is
--      counted, whatever its outcome, while every window has room; a call without room is not
--      counted (its windows still roll over) and writes nothing else;
--   5. write the stamp, its account, the ledger row with balance_after (stamp_record), and the
--      STAMP webhook event (queue_webhook_event: a lookup, it inserts only for a store with a
--      webhook).
-- Every function returns one row whose `status` comes from the closed set in its header.

-- What the gate found; `full`: the counter, read without a lock, had no room for this call.
CREATE TYPE "stamp_gate" AS (
  store_id int,
  plan "Plan",
  plan_ok boolean,
  time_zone text,
  at timestamptz,
  today date,
  minute_limit int,
  hour_limit int,
  day_limit int,
  minute_start timestamptz,
  hour_start timestamptz,
  day_start timestamptz,
  "full" boolean
);

-- A window's calls so far: 0 once the window that started at `stored_start` has ended.
CREATE FUNCTION "rate_window_calls"(stored_start timestamptz, stored_calls int, current_start timestamptz) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN stored_start >= current_start THEN stored_calls ELSE 0 END
$$;

-- Whether a call at `g` still fits in every window of the counter row `r` (true without a row).
CREATE FUNCTION "rate_has_room"(r "rate_usage", g "stamp_gate") RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT r.store_id IS NULL
      OR (rate_window_calls(r.minute_start, r.minute_calls, g.minute_start) < g.minute_limit
          AND rate_window_calls(r.hour_start, r.hour_calls, g.hour_start) < g.hour_limit
          AND rate_window_calls(r.day_start, r.day_calls, g.day_start) < g.day_limit)
$$;

-- The stamp API's gate. `p_plan_limits` is the plans' table of limits (src/vivoldi/gate.ts,
-- PLAN_LIMITS: {"<plan>": {"minute": n, "hour": n, "day": n}}), which the store's operator
-- overrides replace; `p_at` pins the clock (null: now). Store null: the key is unknown, revoked,
-- or of an inactive store.
CREATE FUNCTION "stamp_api_gate"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb)
RETURNS "stamp_gate" LANGUAGE plpgsql STABLE AS $$
DECLARE
  g "stamp_gate";
  r "rate_usage";
BEGIN
  SELECT s.id, s.plan, s.plan >= p_min_plan, p_time_zone, c.at, (c.at AT TIME ZONE p_time_zone)::date,
         COALESCE(s.limit_per_minute, (p_plan_limits -> s.plan::text ->> 'minute')::int),
         COALESCE(s.limit_per_hour, (p_plan_limits -> s.plan::text ->> 'hour')::int),
         COALESCE(s.limit_per_day, (p_plan_limits -> s.plan::text ->> 'day')::int),
         date_trunc('minute', c.at, p_time_zone), date_trunc('hour', c.at, p_time_zone), date_trunc('day', c.at, p_time_zone),
         NULL
    INTO g
    FROM api_key k
    JOIN store s ON s.id = k.store_id AND s.active
    CROSS JOIN (SELECT COALESCE(p_at, now()) AS at) c
   WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL;
  IF g.store_id IS NOT NULL THEN
    -- Read without a lock: a full counter refuses the call before it waits for any row.
    SELECT * INTO r FROM rate_usage u WHERE u.store_id = g.store_id;
    g."full" := NOT rate_has_room(r, g);
  END IF;
  RETURN g;
END;
$$;

-- Counts the call of `g` on its store's rate counter, the one conditional upsert that decides:
-- every window rolls over once it has ended, and the call is counted in all three only when all
-- three have room (last_allowed says whether it was). `status` is `p_status`, or rate_limited when
-- the call had no room. `windows`: each window as it is after the call, for the X-RateLimit-*
-- headers. The counter row stays locked until the commit: call this last, just before writing.
CREATE FUNCTION "stamp_count_call"(g "stamp_gate", p_status text, OUT status text, OUT windows jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  u "rate_usage";
BEGIN
  INSERT INTO rate_usage AS r (store_id, minute_start, minute_calls, hour_start, hour_calls, day_start, day_calls, last_allowed)
  VALUES (g.store_id, g.minute_start, 1, g.hour_start, 1, g.day_start, 1, true)
  ON CONFLICT (store_id) DO UPDATE SET
    minute_calls = rate_window_calls(r.minute_start, r.minute_calls, g.minute_start) + rate_has_room(r, g)::int,
    minute_start = GREATEST(r.minute_start, g.minute_start),
    hour_calls = rate_window_calls(r.hour_start, r.hour_calls, g.hour_start) + rate_has_room(r, g)::int,
    hour_start = GREATEST(r.hour_start, g.hour_start),
    day_calls = rate_window_calls(r.day_start, r.day_calls, g.day_start) + rate_has_room(r, g)::int,
    day_start = GREATEST(r.day_start, g.day_start),
    last_allowed = rate_has_room(r, g)
  RETURNING * INTO u;
  status := CASE WHEN u.last_allowed THEN p_status ELSE 'rate_limited' END;
  windows := jsonb_build_array(
    jsonb_build_object('window', 'minute', 'limit', g.minute_limit, 'calls', u.minute_calls,
                       'resets_at', extract(epoch FROM u.minute_start + interval '1 minute')),
    jsonb_build_object('window', 'hour', 'limit', g.hour_limit, 'calls', u.hour_calls,
                       'resets_at', extract(epoch FROM u.hour_start + interval '1 hour')),
    jsonb_build_object('window', 'day', 'limit', g.day_limit, 'calls', u.day_calls,
                       'resets_at', extract(epoch FROM date_trunc('day', u.day_start + interval '36 hours', g.time_zone))));
END;
$$;

-- The gate's own refusals, before any row is locked: unauthorized and plan_required are not
-- counted; a call the unlocked read found without room is counted (as refused) and refused.
-- `status` null: the call may proceed. Also the figures every answer reports.
CREATE FUNCTION "stamp_api_enter"(g "stamp_gate", OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision,
                                  OUT windows jsonb)
LANGUAGE plpgsql AS $$
BEGIN
  store_id := g.store_id;
  plan := g.plan;
  called_at := extract(epoch FROM g.at);
  IF g.store_id IS NULL THEN
    status := 'unauthorized';
  ELSIF NOT g.plan_ok THEN
    status := 'plan_required';
  ELSIF g."full" THEN
    SELECT c.status, c.windows INTO status, windows FROM stamp_count_call(g, 'rate_limited') c;
  END IF;
END;
$$;

-- The stamp object of the stamp API, version v1 (docs/webhooks.md, src/vivoldi/payload.ts):
-- validate's result and the `stamp` of every STAMP webhook event, as the stamp, its card and its
-- account are now. Keys in the original's order (`json` keeps it). The stamp page lives at
-- `<domain>/stamp/<page code>` and the default image at `/static/stamp.svg` (both served by
-- src/vivoldi/page/routes.ts).
CREATE FUNCTION "stamp_payload"(p_stamp_id int, p_time_zone text, p_public_base_url text) RETURNS json
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
      'regYmdt', to_char(s.created_at AT TIME ZONE p_time_zone, 'YYYY-MM-DD HH24:MI:SS'),
      'payloadVersion', 'v1')
    FROM stamp s JOIN card c ON c.id = s.card_id JOIN ledger_account a ON a.id = s.account_id
   WHERE s.id = p_stamp_id
$$;

-- Why a stamp cannot be stamped or redeemed on `p_today`, if it cannot.
CREATE FUNCTION "stamp_unusable"(s "stamp", p_today date) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN NOT s.active THEN 'inactive'
              WHEN p_today < s.valid_from THEN 'not_started'
              WHEN p_today > s.valid_until THEN 'expired'
              WHEN s.used THEN 'already_used' END
$$;

-- A validity period ends at most five years after the call's date and does not end before it starts.
CREATE FUNCTION "stamp_period_ok"(p_from date, p_until date, p_today date) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_from <= p_until AND p_until <= (p_today + interval '5 years')::date
$$;

-- The ids of a store's cards, for finding a stamp of the store without joining its card: a lock
-- that waited re-checks the stamp's new version, and its new card is one of these.
CREATE FUNCTION "store_card_ids"(p_store_id int) RETURNS int[]
LANGUAGE sql STABLE AS $$
  SELECT ARRAY(SELECT c.id FROM card c WHERE c.store_id = p_store_id)
$$;

-- Writes the ledger row of a change already made to the stamp's account (balance_after = its
-- balance now) and queues its STAMP event (ADD, REMOVE or USE; a stamp_unuse row has none).
-- True: an event was queued.
CREATE FUNCTION "stamp_record"(p_store_id int, p_stamp_id int, p_kind "EntryKind", p_delta int, p_time_zone text, p_public_base_url text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_created timestamptz;
  v_action text := CASE WHEN p_kind = 'stamp_use' THEN 'USE'
                        WHEN p_kind = 'stamp_unuse' THEN NULL
                        WHEN p_delta > 0 THEN 'ADD'
                        ELSE 'REMOVE' END;
BEGIN
  INSERT INTO ledger_entry (account_id, store_id, kind, delta, balance_after)
  SELECT a.id, p_store_id, p_kind, p_delta, a.balance FROM stamp s JOIN ledger_account a ON a.id = s.account_id WHERE s.id = p_stamp_id
  RETURNING created_at INTO v_created;
  RETURN v_action IS NOT NULL
     AND queue_webhook_event(p_store_id, 'STAMP', v_action, p_delta, v_created, stamp_payload(p_stamp_id, p_time_zone, p_public_base_url));
END;
$$;

-- Changes the count of a locked stamp by `p_delta` with its ledger row and event; true: an event was queued.
CREATE FUNCTION "stamp_count_change"(p_store_id int, p_stamp_id int, p_kind "EntryKind", p_delta int, p_time_zone text, p_public_base_url text)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ledger_account a SET balance = a.balance + p_delta, updated_at = now() FROM stamp s WHERE s.id = p_stamp_id AND a.id = s.account_id;
  RETURN stamp_record(p_store_id, p_stamp_id, p_kind, p_delta, p_time_zone, p_public_base_url);
END;
$$;

-- Add's lock and check, shared by the API's add and the stamp page's: locks the stamp of the
-- store, then its account, and says whether one more stamp fits.
-- Status: ok | stamp_not_found | inactive | not_started | expired | already_used | card_full.
CREATE FUNCTION "stamp_add_checked"(p_store_id int, p_stamp_id int, p_today date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_stamp "stamp";
  v_account "ledger_account";
BEGIN
  SELECT * INTO v_stamp FROM stamp s
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(p_store_id)) FOR UPDATE;
  IF NOT FOUND THEN RETURN 'stamp_not_found'; END IF;
  SELECT * INTO v_account FROM ledger_account a WHERE a.id = v_stamp.account_id FOR UPDATE;
  RETURN COALESCE(stamp_unusable(v_stamp, p_today), CASE WHEN v_account.balance >= v_account.max_balance THEN 'card_full' END, 'ok');
END;
$$;

-- Every API function below takes the gate's inputs first (the API key's SHA-256, the lowest plan
-- the call needs, the time zone, the pinned clock or null, the plans' limits), then the view's
-- public base URL where it shows a stamp, then its own. Each returns `status`, the store, its
-- plan, the call's time (epoch seconds) and the rate windows (null when the call was not
-- counted), and what it changed.

-- A call refused for its parameters still needs a valid key and is counted.
-- Status: ok (counted; the caller answers its own refusal) | unauthorized | plan_required | rate_limited.
CREATE FUNCTION "stamp_api_call"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  SELECT * INTO status, windows FROM stamp_count_call(g, 'ok');
END;
$$;

-- validate: the stamp as the API shows it, when it is usable now. A read: it locks nothing.
-- Status: ok | unauthorized | plan_required | rate_limited | stamp_not_found | inactive |
-- not_started | expired | already_used.
CREATE FUNCTION "stamp_validate"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_public_base_url text, p_stamp_id int,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb, OUT stamp json)
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  -- The state and the object from one read.
  SELECT COALESCE(stamp_unusable(s, g.today), 'ok'), stamp_payload(s.id, p_time_zone, p_public_base_url) INTO status, stamp
    FROM stamp s WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(g.store_id));
  IF NOT FOUND THEN status := 'stamp_not_found'; END IF;
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN stamp := NULL; END IF;
END;
$$;

-- create: issues a card of the store to a customer: a new account (balance 0, the card's
-- maximum) and its stamp. Nothing exists yet to lock. `stamp_idx`: the new stamp.
-- Status: ok | unauthorized | plan_required | rate_limited | card_not_found | invalid_period.
CREATE FUNCTION "stamp_create"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_card_id int, p_valid_from date, p_valid_until date, p_page_code text, p_active boolean, p_user_id text, p_user_name text,
  p_user_phone text, p_user_email text, p_user_etc1 text, p_user_etc2 text, p_memo text, p_domain text,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb, OUT stamp_idx int)
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
  v_card "card";
  v_account_id int;
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  SELECT * INTO v_card FROM card c WHERE c.id = p_card_id AND c.store_id = g.store_id;
  status := CASE WHEN NOT FOUND THEN 'card_not_found'
                 WHEN NOT stamp_period_ok(p_valid_from, p_valid_until, g.today) THEN 'invalid_period'
                 ELSE 'ok' END;
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;
  INSERT INTO ledger_account (max_balance) VALUES (v_card.max_stamps) RETURNING id INTO v_account_id;
  INSERT INTO stamp (card_id, account_id, valid_from, valid_until, page_code, active, user_id, user_name, user_phone, user_email,
                     user_etc1, user_etc2, memo, domain)
  VALUES (v_card.id, v_account_id, p_valid_from, p_valid_until, p_page_code, p_active, p_user_id, p_user_name, p_user_phone,
          p_user_email, p_user_etc1, p_user_etc2, p_memo, p_domain)
  RETURNING id INTO stamp_idx;
END;
$$;

-- add: one stamp on a usable stamp that is not full.
-- Status: ok | unauthorized | plan_required | rate_limited | stamp_not_found | inactive |
-- not_started | expired | already_used | card_full. `kinds`: the ledger rows written.
CREATE FUNCTION "stamp_add"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_public_base_url text, p_stamp_id int,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb,
  OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  status := stamp_add_checked(g.store_id, p_stamp_id, g.today);
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_count_change(g.store_id, p_stamp_id, 'stamp_add', 1, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_add'];
END;
$$;

-- remove: one stamp off, never below 0 (an admin correction: the stamp need not be usable).
-- Status: ok | unauthorized | plan_required | rate_limited | stamp_not_found | empty.
CREATE FUNCTION "stamp_remove"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_public_base_url text, p_stamp_id int,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb,
  OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
  v_stamp "stamp";
  v_account "ledger_account";
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  SELECT * INTO v_stamp FROM stamp s
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(g.store_id)) FOR UPDATE;
  SELECT * INTO v_account FROM ledger_account a WHERE a.id = v_stamp.account_id FOR UPDATE;
  status := CASE WHEN v_stamp.id IS NULL THEN 'stamp_not_found' WHEN v_account.balance = 0 THEN 'empty' ELSE 'ok' END;
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_count_change(g.store_id, p_stamp_id, 'stamp_remove', -1, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_remove'];
END;
$$;

-- redeem: marks a usable, full stamp used, once, after the card's on-site password when it has
-- one. Digests are compared, so the time taken tells nothing about how much of a guess was right.
-- Status: ok | unauthorized | plan_required | rate_limited | stamp_not_found | inactive |
-- not_started | expired | already_used | password_missing | wrong_onsite_password | not_enough_stamps.
CREATE FUNCTION "stamp_redeem"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_public_base_url text, p_stamp_id int, p_onsite_password text,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb,
  OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
  v_stamp "stamp";
  v_account "ledger_account";
  v_password text;
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  SELECT * INTO v_stamp FROM stamp s
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(g.store_id)) FOR UPDATE;
  SELECT * INTO v_account FROM ledger_account a WHERE a.id = v_stamp.account_id FOR UPDATE;
  SELECT c.onsite_password INTO v_password FROM card c WHERE c.id = v_stamp.card_id;
  status := CASE WHEN v_stamp.id IS NULL THEN 'stamp_not_found'
                 ELSE COALESCE(stamp_unusable(v_stamp, g.today), CASE
                   WHEN v_password IS NOT NULL AND p_onsite_password IS NULL THEN 'password_missing'
                   WHEN v_password IS NOT NULL
                    AND sha256(convert_to(v_password, 'UTF8')) <> sha256(convert_to(p_onsite_password, 'UTF8')) THEN 'wrong_onsite_password'
                   WHEN v_account.balance < v_account.max_balance THEN 'not_enough_stamps'
                   ELSE 'ok' END) END;
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;
  UPDATE stamp s SET used = true, used_at = now(), updated_at = now() WHERE s.id = v_stamp.id;
  queued := stamp_record(g.store_id, p_stamp_id, 'stamp_use', 0, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_use'];
END;
$$;

-- update: changes what is given of a stamp of the store, whatever its state (an admin
-- correction). Every optional field comes as (given, value), so the signature never changes; a
-- given null clears a field that may be empty. A new count writes one stamp_set row with the
-- difference; a change of the used flag one stamp_use or stamp_unuse row; a new card moves the
-- account's maximum, refused while the count would be above it. A reset PIN starts with no wrong
-- guesses: the lock of the old one must not keep the owner out.
-- Status: ok | unauthorized | plan_required | rate_limited | stamp_not_found | card_not_found |
-- invalid_period | above_maximum | above_new_maximum.
CREATE FUNCTION "stamp_update"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_public_base_url text, p_stamp_id int,
  p_card_given boolean, p_card_id int,
  p_stamps_given boolean, p_stamps int,
  p_used_given boolean, p_used boolean,
  p_valid_from_given boolean, p_valid_from date,
  p_valid_until_given boolean, p_valid_until date,
  p_active_given boolean, p_active boolean,
  p_user_id_given boolean, p_user_id text,
  p_user_name_given boolean, p_user_name text,
  p_user_phone_given boolean, p_user_phone text,
  p_user_email_given boolean, p_user_email text,
  p_user_etc1_given boolean, p_user_etc1 text,
  p_user_etc2_given boolean, p_user_etc2 text,
  p_memo_given boolean, p_memo text,
  p_domain_given boolean, p_domain text,
  p_reset_pin boolean,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb,
  OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
  v_stamp "stamp";
  v_account "ledger_account";
  v_card "card";
  v_balance int;
  v_max int;
  v_from date;
  v_until date;
  v_used boolean;
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  SELECT * INTO v_stamp FROM stamp s
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(g.store_id)) FOR UPDATE;
  SELECT * INTO v_account FROM ledger_account a WHERE a.id = v_stamp.account_id FOR UPDATE;
  SELECT * INTO v_card FROM card c WHERE c.id = CASE WHEN p_card_given THEN p_card_id ELSE v_stamp.card_id END AND c.store_id = g.store_id;
  v_balance := CASE WHEN p_stamps_given THEN p_stamps ELSE v_account.balance END;
  v_max := CASE WHEN p_card_given THEN v_card.max_stamps ELSE v_account.max_balance END;
  v_from := CASE WHEN p_valid_from_given THEN p_valid_from ELSE v_stamp.valid_from END;
  v_until := CASE WHEN p_valid_until_given THEN p_valid_until ELSE v_stamp.valid_until END;
  v_used := CASE WHEN p_used_given THEN p_used ELSE v_stamp.used END;
  status := CASE WHEN v_stamp.id IS NULL THEN 'stamp_not_found'
                 WHEN v_card.id IS NULL THEN 'card_not_found'
                 WHEN (p_valid_from_given OR p_valid_until_given) AND NOT stamp_period_ok(v_from, v_until, g.today) THEN 'invalid_period'
                 WHEN v_balance > v_max THEN CASE WHEN p_stamps_given THEN 'above_maximum' ELSE 'above_new_maximum' END
                 ELSE 'ok' END;
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;

  UPDATE stamp s SET
    card_id = v_card.id,
    valid_from = v_from,
    valid_until = v_until,
    used = v_used,
    used_at = CASE WHEN v_used = s.used THEN s.used_at WHEN v_used THEN now() END,
    active = CASE WHEN p_active_given THEN p_active ELSE s.active END,
    user_id = CASE WHEN p_user_id_given THEN p_user_id ELSE s.user_id END,
    user_name = CASE WHEN p_user_name_given THEN p_user_name ELSE s.user_name END,
    user_phone = CASE WHEN p_user_phone_given THEN p_user_phone ELSE s.user_phone END,
    user_email = CASE WHEN p_user_email_given THEN p_user_email ELSE s.user_email END,
    user_etc1 = CASE WHEN p_user_etc1_given THEN p_user_etc1 ELSE s.user_etc1 END,
    user_etc2 = CASE WHEN p_user_etc2_given THEN p_user_etc2 ELSE s.user_etc2 END,
    memo = CASE WHEN p_memo_given THEN p_memo ELSE s.memo END,
    domain = CASE WHEN p_domain_given THEN p_domain ELSE s.domain END,
    pin_hash = CASE WHEN p_reset_pin THEN NULL ELSE s.pin_hash END,
    updated_at = now()
   WHERE s.id = v_stamp.id;
  UPDATE ledger_account a SET balance = v_balance, max_balance = v_max, updated_at = now() WHERE a.id = v_account.id;
  IF p_reset_pin THEN
    DELETE FROM page_throttle t WHERE t.stamp_id = v_stamp.id AND t.secret = 'pin';
  END IF;

  queued := false;
  kinds := ARRAY[]::text[];
  IF v_balance <> v_account.balance THEN
    queued := stamp_record(g.store_id, p_stamp_id, 'stamp_set', v_balance - v_account.balance, p_time_zone, p_public_base_url);
    kinds := kinds || 'stamp_set'::text;
  END IF;
  IF v_used <> v_stamp.used THEN
    queued := stamp_record(g.store_id, p_stamp_id, CASE WHEN v_used THEN 'stamp_use' ELSE 'stamp_unuse' END::"EntryKind", 0,
                           p_time_zone, p_public_base_url) OR queued;
    kinds := kinds || CASE WHEN v_used THEN 'stamp_use' ELSE 'stamp_unuse' END;
  END IF;
END;
$$;

-- delete: deletes a stamp of the store for good as far as the API can tell. Its row stays,
-- marked deleted and without the customer's data, so that its account and rows stay attributable.
-- Status: ok | unauthorized | plan_required | rate_limited | stamp_not_found.
CREATE FUNCTION "stamp_delete"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_stamp_id int,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
  v_stamp_id int;
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  SELECT s.id INTO v_stamp_id FROM stamp s
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(g.store_id)) FOR UPDATE;
  status := CASE WHEN v_stamp_id IS NULL THEN 'stamp_not_found' ELSE 'ok' END;
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;
  UPDATE stamp s SET pin_hash = NULL, memo = NULL, user_name = NULL, user_phone = NULL, user_email = NULL, user_etc1 = NULL,
                     user_etc2 = NULL, deleted_at = now(), updated_at = now()
   WHERE s.id = v_stamp_id;
END;
$$;

-- The stamp page (src/vivoldi/page/): its code is its key, instead of an API key, and opens the
-- one stamp it belongs to (not deleted, of an active store). The page has no rate counter; its
-- guesses of secrets are throttled instead.

-- A guess's effect on a throttle row (page_throttle or card_throttle): a right guess clears the
-- count and the locks; a wrong one adds to the count and locks the row when it reaches
-- max_failures, for twice as long after each lock (lock_minutes up to lock_max_minutes); while
-- the row is locked the guess changes nothing and is not counted. `p_rules`:
-- {"max_failures", "lock_minutes", "lock_max_minutes"} (src/vivoldi/page/throttle.ts).
CREATE FUNCTION "page_guess_next"(p_failures int, p_locked_until timestamptz, p_lockouts int, p_correct boolean, p_now timestamptz,
  p_rules jsonb, OUT failures int, OUT locked_until timestamptz, OUT lockouts int, OUT counted boolean)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  v_locked boolean := COALESCE(p_locked_until > p_now, false);
  -- The row's wrong guesses before this one; an ended lock starts a new series.
  v_before int := CASE WHEN p_locked_until <= p_now THEN 0 ELSE p_failures END;
  v_locks boolean := NOT p_correct AND v_before + 1 >= (p_rules ->> 'max_failures')::int;
BEGIN
  IF v_locked THEN
    SELECT p_failures, p_locked_until, p_lockouts, false INTO failures, locked_until, lockouts, counted;
  ELSIF p_correct THEN
    SELECT 0, NULL, 0, true INTO failures, locked_until, lockouts, counted;
  ELSIF v_locks THEN
    SELECT v_before + 1,
           p_now + make_interval(mins => LEAST((p_rules ->> 'lock_minutes')::int * (2 ^ LEAST(p_lockouts, 16))::int,
                                               (p_rules ->> 'lock_max_minutes')::int)),
           p_lockouts + 1, true
      INTO failures, locked_until, lockouts, counted;
  ELSE
    SELECT v_before + 1, NULL, p_lockouts, true INTO failures, locked_until, lockouts, counted;
  END IF;
END;
$$;

-- Counts one guess of `p_secret` on a stamp's page (a PIN checked outside SQL is counted as wrong
-- before its slow hash is computed, and cleared when right: guesses sent at once cannot all pass
-- before the first failure is written).
CREATE FUNCTION "page_count_guess"(p_stamp_id int, p_secret "PageSecret", p_correct boolean, p_at timestamptz, p_rules jsonb,
  OUT counted boolean, OUT failures int, OUT locked_until timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO page_throttle AS t (stamp_id, secret, failures, locked_until, lockouts, last_counted)
  VALUES (p_stamp_id, p_secret, CASE WHEN p_correct THEN 0 ELSE 1 END, NULL, 0, true)
  ON CONFLICT (stamp_id, secret) DO UPDATE SET (failures, locked_until, lockouts, last_counted) =
    (SELECT n.failures, n.locked_until, n.lockouts, n.counted
       FROM page_guess_next(t.failures, t.locked_until, t.lockouts, p_correct, COALESCE(p_at, now()), p_rules) n)
  RETURNING t.last_counted, t.failures, t.locked_until INTO counted, failures, locked_until;
END;
$$;

-- Counts one guess of the on-site password, which all stamps of a card share, on the stamp and on
-- the card: the card counts it only once the stamp has (a guess the stamp refused adds nothing to
-- the card's count), and the answer is the tighter of the two.
CREATE FUNCTION "page_count_onsite_guess"(p_stamp_id int, p_card_id int, p_correct boolean, p_at timestamptz, p_rules jsonb,
  OUT counted boolean, OUT failures int, OUT locked_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_card_counted boolean;
  v_card_failures int;
  v_card_locked_until timestamptz;
BEGIN
  SELECT * INTO counted, failures, locked_until FROM page_count_guess(p_stamp_id, 'onsite_password', p_correct, p_at, p_rules);
  IF NOT counted THEN RETURN; END IF;
  INSERT INTO card_throttle AS t (card_id, failures, locked_until, lockouts, last_counted)
  VALUES (p_card_id, CASE WHEN p_correct THEN 0 ELSE 1 END, NULL, 0, true)
  ON CONFLICT (card_id) DO UPDATE SET (failures, locked_until, lockouts, last_counted) =
    (SELECT n.failures, n.locked_until, n.lockouts, n.counted
       FROM page_guess_next(t.failures, t.locked_until, t.lockouts, p_correct, COALESCE(p_at, now()), p_rules) n)
  RETURNING t.last_counted, t.failures, t.locked_until INTO v_card_counted, v_card_failures, v_card_locked_until;
  counted := v_card_counted;
  failures := GREATEST(failures, v_card_failures);
  locked_until := GREATEST(locked_until, v_card_locked_until);
END;
$$;

-- The stamp `p_stamp_id` of the page `p_page_code`, as the API shows it, and why it is not usable now.
-- Status: ok | stamp_not_found | inactive | not_started | expired | already_used.
CREATE FUNCTION "stamp_page_read"(p_stamp_id int, p_page_code text, p_time_zone text, p_at timestamptz, p_public_base_url text,
  OUT status text, OUT stamp json)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  SELECT COALESCE(stamp_unusable(s, (COALESCE(p_at, now()) AT TIME ZONE p_time_zone)::date), 'ok'),
         stamp_payload(s.id, p_time_zone, p_public_base_url)
    INTO status, stamp
    FROM stamp s JOIN card c ON c.id = s.card_id JOIN store st ON st.id = c.store_id
   WHERE s.id = p_stamp_id AND s.page_code = p_page_code AND s.deleted_at IS NULL AND st.active;
  IF NOT FOUND THEN status := 'stamp_not_found'; END IF;
END;
$$;

-- The stamp page's on-site stamp: one stamp, by add's rules (stamp_add_checked: the stamp, then
-- its account, locked), after the card's on-site password, whose guess is counted by the page's
-- throttle last (`counted` false: the page is locked until `locked_until`). Digests are compared,
-- as redeem does. A wrong or uncounted guess changes nothing and answers wrong_onsite_password.
-- Status: ok | stamp_not_found | wrong_onsite_password | inactive | not_started | expired |
-- already_used | card_full.
CREATE FUNCTION "stamp_page_add"(p_stamp_id int, p_page_code text, p_password text, p_time_zone text, p_at timestamptz, p_public_base_url text,
  p_rules jsonb,
  OUT status text, OUT counted boolean, OUT failures int, OUT locked_until timestamptz, OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
DECLARE
  v_page record;
BEGIN
  SELECT s.id AS stamp_id, s.card_id, c.store_id,
         c.onsite_password IS NOT NULL
           AND sha256(convert_to(c.onsite_password, 'UTF8')) = sha256(convert_to(p_password, 'UTF8')) AS correct
    INTO v_page
    FROM stamp s JOIN card c ON c.id = s.card_id JOIN store st ON st.id = c.store_id
   WHERE s.id = p_stamp_id AND s.page_code = p_page_code AND s.deleted_at IS NULL AND st.active;
  IF NOT FOUND THEN
    SELECT 'stamp_not_found', false, 0 INTO status, counted, failures;
    RETURN;
  END IF;
  status := stamp_add_checked(v_page.store_id, v_page.stamp_id, (COALESCE(p_at, now()) AT TIME ZONE p_time_zone)::date);
  SELECT * INTO counted, failures, locked_until FROM page_count_onsite_guess(v_page.stamp_id, v_page.card_id, v_page.correct, p_at, p_rules);
  IF NOT (counted AND v_page.correct) THEN
    status := 'wrong_onsite_password';
  END IF;
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_count_change(v_page.store_id, v_page.stamp_id, 'stamp_add', 1, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_add'];
END;
$$;
