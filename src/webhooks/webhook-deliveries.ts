import { and, asc, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import {
  type WebhookDeliveryStatus,
  webhookDeliveries,
  webhookDeliveryAttempts,
} from "../db/schema/index.ts";
import { notFound } from "../errors.ts";
import { enqueueStreams } from "./stream-jobs.ts";
import { getWebhookEndpointRow, requireEnabled } from "./webhook-endpoints.ts";

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookDeliveryAttempts.$inferSelect;

export async function listWebhookDeliveries({
  db,
  endpointId,
  eventId,
  status,
  limit,
  cursor,
}: {
  db: Database;
  endpointId: string | undefined;
  eventId: string | undefined;
  status: WebhookDeliveryStatus | undefined;
  limit: number;
  cursor: string | undefined;
}): Promise<WebhookDeliveryRow[]> {
  const conditions: SQL[] = [];
  if (endpointId !== undefined) conditions.push(eq(webhookDeliveries.endpointId, endpointId));
  if (eventId !== undefined) conditions.push(eq(webhookDeliveries.eventId, eventId));
  if (status !== undefined) conditions.push(eq(webhookDeliveries.status, status));
  if (cursor !== undefined) conditions.push(lt(webhookDeliveries.id, cursor));
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}

/** A delivery with every attempt, oldest first. */
export async function getWebhookDelivery({
  db,
  deliveryId,
}: {
  db: Database;
  deliveryId: string;
}): Promise<WebhookDeliveryRow & { attemptLog: WebhookAttemptRow[] }> {
  const [delivery] = await db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!delivery) throw notFound("Webhook delivery", deliveryId);
  const attemptLog = await db
    .select()
    .from(webhookDeliveryAttempts)
    .where(eq(webhookDeliveryAttempts.deliveryId, deliveryId))
    .orderBy(asc(webhookDeliveryAttempts.id));
  return { ...delivery, attemptLog };
}

/**
 * Sends a delivery again now (a `failed` one, or a pending one without waiting for its retry); a
 * delivered one is sent once more. Its stream's order holds: earlier pending deliveries go first.
 */
export async function retryWebhookDelivery({
  db,
  deliveryId,
  now,
}: {
  db: Database;
  deliveryId: string;
  now: Date;
}): Promise<WebhookDeliveryRow> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.id, deliveryId))
      .for("update");
    if (!current) throw notFound("Webhook delivery", deliveryId);
    requireEnabled(await getWebhookEndpointRow({ executor: tx, endpointId: current.endpointId }));
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: now, deliveredAt: null })
      .where(eq(webhookDeliveries.id, deliveryId))
      .returning();
    if (!row) throw notFound("Webhook delivery", deliveryId);
    await enqueueStreams({
      executor: tx,
      streams: [{ endpointId: row.endpointId, stream: row.stream }],
      preserveRunAt: false,
    });
    return row;
  });
}

/**
 * Sends every event created since `since` (and up to `until`) that the endpoint takes to it again, in
 * each organization's sequence order: deliveries it had are sent again, the missing ones are created.
 * The `webhook-id` stays each event's id, so a receiver that kept its record of ids skips what it has.
 */
export async function replayWebhookEvents({
  db,
  endpointId,
  since,
  until,
  now,
}: {
  db: Database;
  endpointId: string;
  since: Date;
  until: Date | undefined;
  now: Date;
}): Promise<{ deliveries: number }> {
  return db.transaction(async (tx) => {
    const endpoint = await getWebhookEndpointRow({ executor: tx, endpointId, forUpdate: true });
    requireEnabled(endpoint);
    const takesAll = endpoint.eventTypes.includes("*");
    const { rows } = await tx.execute<{ stream: string }>(sql`
      insert into webhook_deliveries
        (id, endpoint_id, event_id, event_type, organization_id, stream, sequence, status, attempts,
         next_attempt_at, created_at)
      select 'whd_' || substr(abono_event_id(${now.toISOString()}::timestamptz), 5), ${endpointId},
             e.id, e.type, e.organization_id, coalesce(e.organization_id, ''), e.sequence, 'pending', 0,
             ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
        from events e
       where e.created_at >= ${since.toISOString()}::timestamptz
         ${until === undefined ? sql`` : sql`and e.created_at <= ${until.toISOString()}::timestamptz`}
         ${takesAll ? sql`` : sql`and e.type = any(${sql.param(endpoint.eventTypes)}::text[])`}
      on conflict (endpoint_id, event_id) do update
         set status = 'pending', next_attempt_at = excluded.next_attempt_at, delivered_at = null
      returning stream`);
    const streams = [...new Set(rows.map((row) => row.stream))].map((stream) => ({
      endpointId,
      stream,
    }));
    await enqueueStreams({ executor: tx, streams, preserveRunAt: false });
    return { deliveries: rows.length };
  });
}
