-- The ledger's functions queue a change's webhook event through queue_webhook_event, a lookup of
-- the store's webhook, so the tripwire that failed a statement for a store with one (SW001) has
-- no caller left.
DROP FUNCTION "webhook_registered"(integer);
