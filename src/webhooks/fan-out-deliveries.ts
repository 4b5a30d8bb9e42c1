import { eq } from "drizzle-orm";
import type { Transaction } from "../db/database.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema/index.ts";
import type { EventRow } from "../events/event-envelope.ts";
import { newId } from "../ids.ts";
import { enqueueStreams } from "./stream-jobs.ts";
import { endpointTakes } from "./webhook-endpoints.ts";

/**
 * One delivery per (enabled endpoint that takes the type, event), created with the event's dispatch and
 * idempotent (a repeated dispatch adds nothing), then each stream's job. A stream waiting for a retry
 * keeps its time: the new events queue behind the failing one, in sequence order.
 */
export async function fanOutToEndpoints({
  tx,
  events,
  now,
}: {
  tx: Transaction;
  events: readonly EventRow[];
  now: Date;
}): Promise<number> {
  const endpoints = await tx
    .select({ id: webhookEndpoints.id, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.status, "enabled"));
  if (endpoints.length === 0) return 0;
  const rows: (typeof webhookDeliveries.$inferInsert)[] = [];
  for (const event of events) {
    for (const endpoint of endpoints) {
      if (!endpointTakes(endpoint, event.type)) continue;
      rows.push({
        id: newId("whd", now.getTime()),
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        organizationId: event.organizationId,
        stream: event.organizationId ?? "",
        sequence: event.sequence,
        status: "pending",
        nextAttemptAt: now,
        createdAt: now,
      });
    }
  }
  if (rows.length === 0) return 0;
  const created = await tx
    .insert(webhookDeliveries)
    .values(rows)
    .onConflictDoNothing()
    .returning({ endpointId: webhookDeliveries.endpointId, stream: webhookDeliveries.stream });
  const streams = new Map(
    created.map((row) => [`${row.endpointId}\u0000${row.stream}`, row] as const),
  );
  await enqueueStreams({ executor: tx, streams: [...streams.values()], preserveRunAt: true });
  return created.length;
}
