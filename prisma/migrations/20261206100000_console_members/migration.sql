-- What the console's pages read (src/console/members, src/console/today), kept so that each
-- answers in milliseconds with 10,000 customers and 100,000 history rows in a store
-- (docs/performance.md, "The console's pages").

-- Look-up by the last 4 digits of a phone: a column the database keeps (phones never change),
-- indexed; the members found are then those with an account in the user's pool.
ALTER TABLE member ADD COLUMN phone_last4 text GENERATED ALWAYS AS (right(phone, 4)) STORED;
CREATE INDEX member_phone_last4_idx ON member (phone_last4);

-- A store's figures per 15 minutes (UTC slots: every time zone's midnight starts one), so that a
-- day's or 30 days' figures are a sum of at most 2,880 rows instead of a count of every ledger
-- row of the period. Kept by the trigger below as ledger rows are written; nothing else writes it.
-- saves/saved: saves that stand and the stamps (points) they added; uses/used alike; a reversal
-- takes its original out of its slot. new_members: accounts of the store's pool that a row of
-- the store opened (their first row: a save, or a transfer to them). card_stamps: stamps added to
-- the store's stamp cards.
CREATE TABLE "store_activity" (
    "store_id" INTEGER NOT NULL,
    "slot" TIMESTAMPTZ(3) NOT NULL,
    "saves" INTEGER NOT NULL DEFAULT 0,
    "saved" BIGINT NOT NULL DEFAULT 0,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "used" BIGINT NOT NULL DEFAULT 0,
    "new_members" INTEGER NOT NULL DEFAULT 0,
    "card_stamps" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "store_activity_pkey" PRIMARY KEY ("store_id", "slot")
);

ALTER TABLE "store_activity" ADD CONSTRAINT "store_activity_store_id_fkey" FOREIGN KEY ("store_id") REFERENCES "store"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE FUNCTION "store_activity_slot"(p_at timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
  SELECT date_bin(interval '15 minutes', p_at, timestamptz '2000-01-01 00:00:00+00');
$$;

-- Adds one ledger row to its store's slot; a reversal takes its original out of the original's
-- store and slot. The slot's row stays locked to the commit. It is the last lock a call takes
-- (docs/ledger.md, "The lock order"): written with the ledger row, after the store's counter, and
-- a call writes rows of one slot at most (a transfer's two rows are of one store and time).
CREATE FUNCTION "store_activity_count"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_store_id int := NEW.store_id;
  v_kind "EntryKind" := NEW.kind;
  v_delta int := NEW.delta;
  v_at timestamptz := NEW.created_at;
  v_sign int := 1;
  v_new boolean := false;
BEGIN
  IF v_kind = 'reversal' THEN
    SELECT o.store_id, o.kind, o.delta, o.created_at, -1 INTO v_store_id, v_kind, v_delta, v_at, v_sign
      FROM ledger_entry o WHERE o.id = NEW.reverses_id;
  ELSIF v_kind IN ('save', 'transfer') AND v_delta > 0 THEN
    v_new := NOT EXISTS (SELECT 1 FROM ledger_entry p WHERE p.account_id = NEW.account_id AND p.id < NEW.id);
  END IF;
  IF v_kind NOT IN ('save', 'use', 'stamp_add') AND NOT v_new THEN
    RETURN NULL;
  END IF;
  INSERT INTO store_activity AS a (store_id, slot, saves, saved, uses, used, new_members, card_stamps)
  VALUES (v_store_id, store_activity_slot(v_at),
          CASE WHEN v_kind = 'save' THEN v_sign ELSE 0 END, CASE WHEN v_kind = 'save' THEN v_sign * v_delta ELSE 0 END,
          CASE WHEN v_kind = 'use' THEN v_sign ELSE 0 END, CASE WHEN v_kind = 'use' THEN -v_sign * v_delta ELSE 0 END,
          v_new::int, CASE WHEN v_kind = 'stamp_add' THEN v_delta ELSE 0 END)
  ON CONFLICT (store_id, slot) DO UPDATE
    SET saves = a.saves + EXCLUDED.saves, saved = a.saved + EXCLUDED.saved, uses = a.uses + EXCLUDED.uses,
        used = a.used + EXCLUDED.used, new_members = a.new_members + EXCLUDED.new_members,
        card_stamps = a.card_stamps + EXCLUDED.card_stamps;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "store_activity_count" AFTER INSERT ON "ledger_entry"
  FOR EACH ROW WHEN (NEW.kind IN ('save', 'use', 'transfer', 'reversal', 'stamp_add'))
  EXECUTE FUNCTION "store_activity_count"();

-- The rows written before this migration.
INSERT INTO store_activity (store_id, slot, saves, saved, uses, used, new_members, card_stamps)
SELECT e.store_id, store_activity_slot(e.created_at),
       count(*) FILTER (WHERE e.kind = 'save' AND NOT e.reversed),
       COALESCE(sum(e.delta) FILTER (WHERE e.kind = 'save' AND NOT e.reversed), 0),
       count(*) FILTER (WHERE e.kind = 'use' AND NOT e.reversed),
       COALESCE(-sum(e.delta) FILTER (WHERE e.kind = 'use' AND NOT e.reversed), 0),
       count(*) FILTER (WHERE e.kind IN ('save', 'transfer') AND e.delta > 0
                          AND NOT EXISTS (SELECT 1 FROM ledger_entry p WHERE p.account_id = e.account_id AND p.id < e.id)),
       COALESCE(sum(e.delta) FILTER (WHERE e.kind = 'stamp_add'), 0)
  FROM ledger_entry e
 WHERE e.kind IN ('save', 'use', 'transfer', 'stamp_add')
 GROUP BY 1, 2;
