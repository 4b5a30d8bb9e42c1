import { and, asc, inArray, isNull } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { events } from "../db/schema/index.ts";
import { fanOutToEndpoints } from "../webhooks/fan-out-deliveries.ts";
import type { EventRow } from "./event-envelope.ts";

/** Something that reacts to published events inside their dispatch transaction (messages to people…). */
export type EventConsumer = (args: {
  tx: Parameters<Parameters<Database["transaction"]>[0]>[0];
  events: readonly EventRow[];
  now: Date;
}) => Promise<unknown>;

/**
 * The outbox's consumer: in one transaction, a delivery to every endpoint that takes each event (and its
 * stream's job), each consumer's follow-ups, and the events marked published. Running it again for the
 * same events adds nothing (deliveries and messages are unique per event).
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
    await fanOutToEndpoints({ tx, events: rows, now });
    for (const consume of consumers) await consume({ tx, events: rows, now });
    await tx
      .update(events)
      .set({ publishedAt: now })
      .where(and(inArray(events.id, [...eventIds]), isNull(events.publishedAt)));
  });
}
