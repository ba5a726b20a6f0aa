-- Stamp cards in the store console (issue 17, docs/ledger.md): the owner edits and deactivates
-- card templates; staff issue stamps to customers, add stamps and redeem them. The console has the
-- logged-in user's store instead of an API key, so its functions are the stamp API's without the
-- API's gate (key, plan, rate counter): they share the API's inner functions, and the parts of
-- create and redeem that were inline move into inner functions here, used by both.
--
-- A deactivated card issues no stamps: create, and update's cardIdx, answer card_not_found for
-- it. The stamps issued before keep working (validate, add, redeem, the stamp page) until their
-- own end date or their own deactivation: a customer does not lose what was collected.
--
-- A card's maximum is every one of its stamps' maximum (verify checks it), so card_update changes
-- the card and its stamps' accounts together. The card is a lock level of its own, before the
-- stamp: card_update takes it FOR UPDATE, and whatever puts a stamp on a card (create, update's
-- cardIdx) takes it FOR SHARE first, so a stamp never lands on a card with the card's old maximum.

-- AlterTable
ALTER TABLE "card" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;

-- The active card `p_card_id` of the store, share-locked until the commit, for a stamp to be put
-- on: card_update waits for it, and it for card_update. A row of nulls when there is none.
CREATE FUNCTION "stamp_target_card"(p_store_id int, p_card_id int) RETURNS "card"
LANGUAGE sql AS $$
  SELECT * FROM card c WHERE c.id = p_card_id AND c.store_id = p_store_id AND c.active FOR SHARE
$$;

-- Create's check, shared by the API's create and the console's: whether a stamp of `p_card` (from
-- stamp_target_card) may be issued for the period.
-- Status: ok | card_not_found | invalid_period.
CREATE FUNCTION "stamp_create_status"(p_card "card", p_valid_from date, p_valid_until date, p_today date) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_card.id IS NULL THEN 'card_not_found'
              WHEN NOT stamp_period_ok(p_valid_from, p_valid_until, p_today) THEN 'invalid_period'
              ELSE 'ok' END
$$;

-- Create's write: a new account (balance 0, the card's maximum) and its stamp; the stamp's id.
CREATE FUNCTION "stamp_insert"(p_card "card", p_valid_from date, p_valid_until date, p_page_code text, p_active boolean, p_user_id text,
  p_user_name text, p_user_phone text, p_user_email text, p_user_etc1 text, p_user_etc2 text, p_memo text, p_domain text)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  v_account_id int;
  v_stamp_id int;
BEGIN
  INSERT INTO ledger_account (max_balance) VALUES (p_card.max_stamps) RETURNING id INTO v_account_id;
  INSERT INTO stamp (card_id, account_id, valid_from, valid_until, page_code, active, user_id, user_name, user_phone, user_email,
                     user_etc1, user_etc2, memo, domain)
  VALUES (p_card.id, v_account_id, p_valid_from, p_valid_until, p_page_code, p_active, p_user_id, p_user_name, p_user_phone,
          p_user_email, p_user_etc1, p_user_etc2, p_memo, p_domain)
  RETURNING id INTO v_stamp_id;
  RETURN v_stamp_id;
END;
$$;

-- Redeem's lock and check, shared by the API's redeem and the console's: locks the stamp of the
-- store, then its account, and says whether its benefit may be used now. With p_check_password
-- the card's on-site password is required when it has one (the API); the console's user is the
-- shop's staff already. Digests are compared, so the time taken tells nothing about a guess.
-- Status: ok | stamp_not_found | inactive | not_started | expired | already_used |
-- password_missing | wrong_onsite_password | not_enough_stamps.
CREATE FUNCTION "stamp_redeem_checked"(p_store_id int, p_stamp_id int, p_today date, p_check_password boolean, p_onsite_password text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_stamp "stamp";
  v_account "ledger_account";
  v_password text;
BEGIN
  SELECT * INTO v_stamp FROM stamp s
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(p_store_id)) FOR UPDATE;
  IF NOT FOUND THEN RETURN 'stamp_not_found'; END IF;
  SELECT * INTO v_account FROM ledger_account a WHERE a.id = v_stamp.account_id FOR UPDATE;
  SELECT c.onsite_password INTO v_password FROM card c WHERE c.id = v_stamp.card_id AND p_check_password;
  RETURN COALESCE(stamp_unusable(v_stamp, p_today), CASE
    WHEN v_password IS NOT NULL AND p_onsite_password IS NULL THEN 'password_missing'
    WHEN v_password IS NOT NULL
     AND sha256(convert_to(v_password, 'UTF8')) <> sha256(convert_to(p_onsite_password, 'UTF8')) THEN 'wrong_onsite_password'
    WHEN v_account.balance < v_account.max_balance THEN 'not_enough_stamps'
    ELSE 'ok' END);
END;
$$;

-- Redeem's write: marks the locked stamp used, with its stamp_use row and USE event; true: an event was queued.
CREATE FUNCTION "stamp_mark_used"(p_store_id int, p_stamp_id int, p_time_zone text, p_public_base_url text)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  UPDATE stamp s SET used = true, used_at = now(), updated_at = now() WHERE s.id = p_stamp_id;
  RETURN stamp_record(p_store_id, p_stamp_id, 'stamp_use', 0, p_time_zone, p_public_base_url);
END;
$$;

-- The stamp API's create, as before, but of an active card, locked: stamp_target_card, stamp_create_status, stamp_insert.
CREATE OR REPLACE FUNCTION "stamp_create"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_card_id int, p_valid_from date, p_valid_until date, p_page_code text, p_active boolean, p_user_id text, p_user_name text,
  p_user_phone text, p_user_email text, p_user_etc1 text, p_user_etc2 text, p_memo text, p_domain text,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb, OUT stamp_idx int)
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
  v_card "card";
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  v_card := stamp_target_card(g.store_id, p_card_id);
  status := stamp_create_status(v_card, p_valid_from, p_valid_until, g.today);
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;
  stamp_idx := stamp_insert(v_card, p_valid_from, p_valid_until, p_page_code, p_active, p_user_id, p_user_name, p_user_phone,
                            p_user_email, p_user_etc1, p_user_etc2, p_memo, p_domain);
END;
$$;

-- The stamp API's redeem, as before, through stamp_redeem_checked and stamp_mark_used.
CREATE OR REPLACE FUNCTION "stamp_redeem"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
  p_public_base_url text, p_stamp_id int, p_onsite_password text,
  OUT status text, OUT store_id int, OUT plan "Plan", OUT called_at double precision, OUT windows jsonb,
  OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
DECLARE
  g "stamp_gate" := stamp_api_gate(p_key_hash, p_min_plan, p_time_zone, p_at, p_plan_limits);
BEGIN
  SELECT * INTO status, store_id, plan, called_at, windows FROM stamp_api_enter(g);
  IF status IS NOT NULL THEN RETURN; END IF;
  status := stamp_redeem_checked(g.store_id, p_stamp_id, g.today, true, p_onsite_password);
  SELECT * INTO status, windows FROM stamp_count_call(g, status);
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_mark_used(g.store_id, p_stamp_id, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_use'];
END;
$$;

-- The stamp API's update, as before, but a given cardIdx names an active card, locked (by
-- stamp_target_card) before the stamp, so that its maximum holds until the commit.
CREATE OR REPLACE FUNCTION "stamp_update"(p_key_hash text, p_min_plan "Plan", p_time_zone text, p_at timestamptz, p_plan_limits jsonb,
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
  IF p_card_given THEN
    v_card := stamp_target_card(g.store_id, p_card_id);
  END IF;
  SELECT * INTO v_stamp FROM stamp s
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(g.store_id)) FOR UPDATE;
  SELECT * INTO v_account FROM ledger_account a WHERE a.id = v_stamp.account_id FOR UPDATE;
  IF NOT p_card_given THEN
    SELECT * INTO v_card FROM card c WHERE c.id = v_stamp.card_id;
  END IF;
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

-- The console's functions below take the logged-in user's store instead of the API's gate: no
-- key, no plan and no rate counter (the console is not the API), then the time zone and the
-- pinned clock (null: now), and the view's public base URL where a change shows a stamp in its
-- webhook event. Their rows carry the user's login (ledger_entry.console_login) when called in
-- a transaction that set stampd.console_login (src/ledger/actor.ts).

-- Issues a card of the store to a customer named by phone (as the console writes it, from the
-- normalised number), valid from today for `p_months` months, unless the customer already holds
-- an open stamp of that card (active, not used, not past its end): a second tap of the same form
-- issues nothing, and `stamp_idx` is the open one. The phone's lock (level 2) makes the look-up
-- and the insert one step.
-- Status: ok | card_not_found | invalid_period | already_open.
CREATE FUNCTION "console_stamp_create"(p_store_id int, p_time_zone text, p_at timestamptz,
  p_card_id int, p_months int, p_page_code text, p_user_id text, p_user_phone text, p_user_name text,
  OUT status text, OUT stamp_idx int)
LANGUAGE plpgsql AS $$
DECLARE
  v_today date := (COALESCE(p_at, now()) AT TIME ZONE p_time_zone)::date;
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

-- Adds one stamp, by add's rules (stamp_add_checked), to a stamp that holds `p_expected` stamps
-- as the user saw it: a second tap of the same button finds one more and adds nothing (changed).
-- `stamps`, `max_stamps`: the count afterwards (or now, when refused) and the stamp's maximum.
-- Status: ok | stamp_not_found | inactive | not_started | expired | already_used | card_full | changed.
CREATE FUNCTION "console_stamp_add"(p_store_id int, p_time_zone text, p_at timestamptz, p_public_base_url text, p_stamp_id int,
  p_expected int, OUT status text, OUT stamps int, OUT max_stamps int, OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
BEGIN
  status := stamp_add_checked(p_store_id, p_stamp_id, (COALESCE(p_at, now()) AT TIME ZONE p_time_zone)::date);
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

-- Uses a full stamp's benefit, by redeem's rules but for the on-site password (the user is staff).
-- Status: ok | stamp_not_found | inactive | not_started | expired | already_used | not_enough_stamps.
CREATE FUNCTION "console_stamp_redeem"(p_store_id int, p_time_zone text, p_at timestamptz, p_public_base_url text, p_stamp_id int,
  OUT status text, OUT queued boolean, OUT kinds text[])
LANGUAGE plpgsql AS $$
BEGIN
  status := stamp_redeem_checked(p_store_id, p_stamp_id, (COALESCE(p_at, now()) AT TIME ZONE p_time_zone)::date, false, NULL);
  IF status <> 'ok' THEN RETURN; END IF;
  queued := stamp_mark_used(p_store_id, p_stamp_id, p_time_zone, p_public_base_url);
  kinds := ARRAY['stamp_use'];
END;
$$;

-- Deactivates (or activates again) a stamp of the store, as update's activeYn does: its count and
-- used flag stay, so it writes no ledger row and no event.
-- Status: ok | stamp_not_found.
CREATE FUNCTION "console_stamp_set_active"(p_store_id int, p_stamp_id int, p_active boolean, OUT status text)
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE stamp s SET active = p_active, updated_at = now()
   WHERE s.id = p_stamp_id AND s.deleted_at IS NULL AND s.card_id = ANY (store_card_ids(p_store_id));
  status := CASE WHEN FOUND THEN 'ok' ELSE 'stamp_not_found' END;
END;
$$;

-- Edits a card of the store (name, title, maximum, link, image, on-site password: null turns the
-- option off) and moves every stamp's maximum with it, deleted ones too (verify holds each to its
-- card's). Locks the card, then its stamps and their accounts in id order (levels 3 and 4); a
-- maximum below a stamp's count is refused, and `stamps_above` says how many stamps hold more.
-- Status: ok | card_not_found | above_new_maximum.
CREATE FUNCTION "card_update"(p_store_id int, p_card_id int, p_name text, p_title text, p_max_stamps int, p_url text, p_image text,
  p_onsite_password text, OUT status text, OUT stamps_above int)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM card c WHERE c.id = p_card_id AND c.store_id = p_store_id FOR UPDATE;
  IF NOT FOUND THEN
    status := 'card_not_found';
    RETURN;
  END IF;
  PERFORM 1 FROM stamp s WHERE s.card_id = p_card_id ORDER BY s.id FOR UPDATE;
  SELECT count(*) FILTER (WHERE l.balance > p_max_stamps) INTO stamps_above
    FROM (SELECT a.balance FROM ledger_account a WHERE a.id IN (SELECT s.account_id FROM stamp s WHERE s.card_id = p_card_id)
           ORDER BY a.id FOR UPDATE) l;
  IF stamps_above > 0 THEN
    status := 'above_new_maximum';
    RETURN;
  END IF;
  UPDATE card c SET name = p_name, title = p_title, max_stamps = p_max_stamps, url = p_url, stamp_image_url = p_image,
                    onsite_password = p_onsite_password
   WHERE c.id = p_card_id;
  UPDATE ledger_account a SET max_balance = p_max_stamps, updated_at = now()
    FROM stamp s WHERE s.card_id = p_card_id AND a.id = s.account_id AND a.max_balance <> p_max_stamps;
  status := 'ok';
END;
$$;
