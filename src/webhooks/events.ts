// Webhook events enter the outbox (table webhook_event) inside the statement that makes the change
// they report, as one more data-modifying CTE: the event commits with the change or not at all, so
// a crash between the two cannot lose it. The body is rendered once, here, and frozen, so every
// attempt sends the same bytes (and the same X-Content-SHA256). It is built as `json`, not
// `jsonb`, so keys keep the order written here and an object given as JSON text keeps its own.
// The body format is in docs/webhooks.md.
import { Prisma } from "../generated/prisma/client.js";

export type WebhookResource = "POINT" | "STAMP";

export interface QueuedEvent {
  resource: WebhookResource;
  /** Upper-case word (the table's CHECK), e.g. SAVE, ADD. */
  action: string;
  /**
   * The rows the event is made from (CTE names of the statement, or `(SELECT 1) one` for plain
   * values); one event per row. The other fields are SQL expressions over these rows.
   */
  from: Prisma.Sql;
  /** The store whose webhook gets the event (int). */
  storeId: Prisma.Sql;
  /** Signed change (int). */
  change: Prisma.Sql;
  /** When the change happened (timestamptz): the ledger entry's created_at. */
  occurredAt: Prisma.Sql;
  /** The resource as the body shows it (json), under the key `point` or `stamp`. */
  object: Prisma.Sql;
}

/**
 * An INSERT that queues one event per row of `from`, only for a store with a registered webhook
 * (without one it inserts nothing, at the cost of one primary-key lookup). Use it as a
 * data-modifying CTE of the statement that makes the change (`event AS (${queueWebhookEvent(...)})`),
 * or run it alone inside the change's transaction. It returns the ids of the events queued, so
 * that the caller wakes the worker only when there is something to send.
 */
export function queueWebhookEvent(e: QueuedEvent): Prisma.Sql {
  const key = e.resource.toLowerCase();
  return Prisma.sql`
      INSERT INTO webhook_event (id, store_id, resource_type, action, body)
      SELECT ev.id, ev.store_id, ${e.resource}::"WebhookResource", ${e.action}::text,
             json_build_object(
               'eventId', ev.id,
               'resourceType', ${e.resource}::text,
               'action', ${e.action}::text,
               'compIdx', ev.store_id,
               'change', ev.change,
               'occurredAt', to_char(ev.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               ${key}::text, ev.resource
             )::text
        FROM (SELECT gen_random_uuid() AS id, w.store_id, (${e.change})::int AS change,
                     (${e.occurredAt})::timestamptz AS occurred_at, (${e.object})::json AS resource
                FROM ${e.from}, store_webhook w WHERE w.store_id = (${e.storeId})) ev
      RETURNING id`;
}
