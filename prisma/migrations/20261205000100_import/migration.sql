-- The import of a shop's members and opening balances (shared/spec/migration.md, "Import";
-- docs/ledger.md). One function, `ledger_import`, takes a batch of the file's lines; the service
-- calls it for every batch within one transaction, so an import is all or nothing.

-- The file's note of a line, kept on its import row.
ALTER TABLE ledger_entry ADD COLUMN memo text;

-- Once per member and pool: an account has at most one import row.
CREATE UNIQUE INDEX ledger_entry_import_once ON ledger_entry (account_id) WHERE kind = 'import';

-- One line of a batch as the function resolves it: the file's values, the member and account
-- they name (null: to be written), what is wrong with it (null: nothing), whether its member is
-- new to the server.
CREATE TYPE import_line AS (
  line int, phone text, member_no int, balance int, joined text, memo text,
  member_id int, account_id int, account_balance int, problem text, new_member boolean
);

-- Checks a batch of lines of one file and, with p_write and nothing wrong, writes them: for each
-- line the member (a kept number given explicitly; `joined`, in p_time_zone, as its first-seen
-- date), its account in the store's pool, and one `import` row of the balance (none for 0). No
-- daily count and no webhook event: an import is one operator action, not an API call.
-- The arrays are the lines' columns, one element per line; a line names a phone, a member number
-- or both (the service checked their form, and that no phone or number appears twice in the file).
-- status: ok | rejected (problems lists the wrong lines; nothing was written) | store_not_found.
-- problems: [{line, problem}], problem one of number_taken (the number is another phone's),
--   phone_has_other_number, member_not_found (a number unknown and no phone), member_named_twice
--   (one member, by its phone on one line and by its number alone on another), already_imported,
--   above_maximum (the balance would pass 2147483647).
-- new_members, new_accounts: how many lines name a member new to the server, and new to the pool.
--
-- Locks: the accounts the lines' members have in the pool, in id order, as every ledger function
-- takes accounts. Unlike save, no phone lock: an import holds all of its locks to its commit, and
-- one advisory lock per line (100,000 for a large file) overflows PostgreSQL's shared lock table
-- ("out of shared memory"). What a concurrent call registers meanwhile (a phone, an account in the
-- pool, a member number) is refused by the unique constraints on member and ledger_account, and
-- the whole import rolls back (the service answers a conflict); a save waiting on a phone that the
-- import is inserting fails the same way once the import commits.
-- The member-number sequence is moved past the largest kept number before any member is written,
-- so a number drawn later never collides with a kept one.
CREATE FUNCTION "ledger_import"(
  p_store_id int, p_time_zone text, p_write boolean,
  p_lines int[], p_phones text[], p_member_nos int[], p_balances int[], p_joined text[], p_memos text[],
  OUT status text, OUT problems json, OUT new_members int, OUT new_accounts int
) LANGUAGE plpgsql AS $$
DECLARE
  v_pool_id int;
  v_lines import_line[];
  v_max_kept int;
  v_member_seq text := pg_get_serial_sequence('member', 'id');
  v_account_seq text := pg_get_serial_sequence('ledger_account', 'id');
BEGIN
  SELECT s.pool_id INTO v_pool_id FROM store s WHERE s.id = p_store_id;
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
  SELECT l.member_id, l.phone, COALESCE(l.joined::timestamp AT TIME ZONE p_time_zone, now())
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
