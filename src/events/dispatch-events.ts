import { and, asc, inArray, isNull } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { events } from "../db/schema/index.ts";
import type { EventRow } from "./event-envelope.ts";

/** Something that reacts to published events inside their dispatch transaction (messages to people…). */
export type EventConsumer = (args: {
  tx: Parameters<Parameters<Database["transaction"]>[0]>[0];
  events: readonly EventRow[];
  now: Date;
}) => Promise<unknown>;

/**
 * The outbox's consumer: in one transaction, each consumer's follow-ups (messages to people) and the
 * events marked published. Running it again for the same events adds nothing (messages are unique per
 * event). Webhook and queue deliveries are not made here: they are written with the event itself
 * (`abono_publish_events`), so each stream's deliveries appear in sequence order.
 */
export async function dispatchEvents({
  db,
  eventIds,
  consumers,
  now,
}: {
  db: Database;
  eventIds: readonly string[];
  consumers: readonly EventConsumer[];
  now: Date;
}): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(events)
      .where(inArray(events.id, [...eventIds]))
      .orderBy(asc(events.organizationId), asc(events.sequence));
    if (rows.length === 0) return;
    for (const consume of consumers) await consume({ tx, events: rows, now });
    await tx
      .update(events)
      .set({ publishedAt: now })
      .where(and(inArray(events.id, [...eventIds]), isNull(events.publishedAt)));
  });
}
