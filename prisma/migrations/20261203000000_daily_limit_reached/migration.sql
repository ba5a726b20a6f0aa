-- Fails the statement that calls it, with SQLSTATE SW002. An OPEN API change counts its call
-- last, after taking its own locks, so that the store's counter row is never held while the
-- change waits for a member's rows; when the counter then refuses the call, the change it made
-- must not commit (src/stores/gate.ts, src/ledger/statement.ts).
CREATE FUNCTION "daily_limit_reached"() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the daily limit was reached while the change ran' USING ERRCODE = 'SW002';
END;
$$;
