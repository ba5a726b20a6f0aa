-- The outbox's one way in for the ledger's functions (issue 15): queues the webhook event of a
-- change in the change's own transaction, when the store has a webhook, and says whether it did.
-- A store without one costs a primary-key lookup. The body is rendered here once and frozen, so
-- every attempt sends the same bytes; it is built as `json`, not `jsonb`, so its keys keep this
-- order and the resource object keeps its own. The body format is in docs/webhooks.md.
CREATE FUNCTION "queue_webhook_event"(
  p_store_id int,
  p_resource "WebhookResource",
  p_action text,
  p_change int,
  p_occurred_at timestamptz,
  p_resource_object json
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid := gen_random_uuid();
BEGIN
  INSERT INTO webhook_event (id, store_id, resource_type, action, body)
  SELECT v_id, w.store_id, p_resource, p_action,
         json_build_object(
           'eventId', v_id,
           'resourceType', p_resource::text,
           'action', p_action,
           'compIdx', w.store_id,
           'change', p_change,
           'occurredAt', to_char(p_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           lower(p_resource::text), p_resource_object
         )::text
    FROM store_webhook w
   WHERE w.store_id = p_store_id;
  RETURN FOUND;
END;
$$;
