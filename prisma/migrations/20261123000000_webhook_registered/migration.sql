-- Fails the statement that calls it, with SQLSTATE SW001. A ledger statement built for a store
-- last seen without a webhook leaves the outbox insert out of its plan and calls this for each
-- row it writes of a store that has a webhook after all: nothing commits without its event, and
-- the statement runs again with the insert (src/webhooks/events.ts, src/ledger/statement.ts).
CREATE FUNCTION "webhook_registered"("store_id" integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'store % has a webhook: the change must queue its event', "store_id" USING ERRCODE = 'SW001';
END;
$$;
