import { sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { newId } from "../ids.ts";
import { derivedEvents, type EncodedEvent } from "./derived-events.ts";
import {
  type EventData,
  type EventPrevious,
  type EventType,
  eventCatalog,
} from "./event-catalog.ts";

export type { EventType } from "./event-catalog.ts";

/** One event to publish: its type, organization, payload (bigints and Dates allowed) and "now". */
export type NewEvent<Type extends EventType = EventType> = {
  [T in Type]: {
    type: T;
    organizationId: string | null;
    data: EventData<T>;
    /** For the types that have one (`subscription.plan_changed`…): the values before the change. */
    previous?: EventPrevious<T>;
    /** The organization's time (its test clock's, if any). */
    now: Date;
    /** The organization's job queue (its test clock's), so a clock's advance waits for the event. */
    queueName?: string | undefined;
  };
}[Type];

/**
 * Records a domain event and enqueues its job, in the caller's transaction (the outbox): the event exists,
 * with the next number of its organization's sequence, exactly when the change that caused it commits.
 * Events that follow from it (`payment.succeeded` after `invoice.paid`…) are published with it. Inside
 * `publishingAtOnce` the event is held and written with the transaction's other events.
 */
export async function publishEvent<Type extends EventType>({
  executor,
  ...event
}: {
  executor: Executor;
  type: Type;
  organizationId: string | null;
  data: EventData<Type>;
  previous?: EventPrevious<Type>;
  now: Date;
  queueName?: string | undefined;
}): Promise<void> {
  await publishEvents({ executor, events: [event as NewEvent] });
}

/**
 * Many events in one statement (the billing run's batches): each organization's events are numbered in
 * the order given. Inside `publishingAtOnce` they are held, to be written with the transaction's others.
 */
export async function publishEvents({
  executor,
  events,
}: {
  executor: Executor;
  events: readonly NewEvent[];
}): Promise<void> {
  const held = heldEvents.get(executor);
  if (held) {
    held.push(...events);
    return;
  }
  if (events.length === 0) return;
  await executor.execute(
    sql`select count(*) from abono_publish_events(${JSON.stringify(eventRowsOf(events).rows)}::jsonb)`,
  );
}

/** The events a transaction running `publishingAtOnce` has published so far, not yet written. */
const heldEvents = new WeakMap<Executor, NewEvent[]>();

/**
 * Runs `work` in the transaction `executor`, holding the events it publishes (`publishEvent`,
 * `publishEvents`) and writing them in one statement when it is done, in the order they were published:
 * the same events with the same sequence numbers as one statement each, in one round trip. Nothing in
 * `work` may read the events table expecting its own events. If `work` throws, nothing is written (the
 * transaction rolls back anyway).
 */
export async function publishingAtOnce<Result>(
  executor: Executor,
  work: () => Promise<Result>,
): Promise<Result> {
  if (heldEvents.has(executor)) return work();
  const held: NewEvent[] = [];
  heldEvents.set(executor, held);
  try {
    const result = await work();
    heldEvents.delete(executor);
    await publishEvents({ executor, events: held });
    return result;
  } finally {
    heldEvents.delete(executor);
  }
}

/**
 * The items `abono_publish_events` takes for `events` (each checked against the catalog, followed by
 * the events derived from it): for a caller that publishes them within a larger statement (the billing
 * run's batches).
 */
export function eventRowsOf(events: readonly NewEvent[]): { rows: Record<string, unknown>[] } {
  const rows: Record<string, unknown>[] = [];
  for (const event of events) {
    const encoded = encodeEvent(event);
    const id = newId("evt", event.now.getTime());
    for (const [index, item] of [encoded, ...derivedEvents(encoded)].entries()) {
      const definition = eventCatalog[item.type];
      rows.push({
        id: index === 0 ? id : newId("evt", event.now.getTime()),
        type: item.type,
        organizationId: event.organizationId,
        // Derived events are built from encoded data: parsing checks them against their schema too.
        data: index === 0 ? item.data : definition.data.parse(item.data),
        previous: item.previous,
        createdAt: event.now.toISOString(),
        schemaVersion: definition.version,
        queueName: event.queueName ?? null,
      });
    }
  }
  return { rows };
}

/** The payload in its JSON form, checked against the catalog (a mismatch is a bug: it throws). */
function encodeEvent(event: NewEvent): EncodedEvent {
  const definition = eventCatalog[event.type];
  const data = definition.data.parse(event.data) as Record<string, unknown>;
  const previous =
    event.previous === undefined || definition.previous === undefined
      ? null
      : (definition.previous.parse(event.previous) as Record<string, unknown>);
  return { type: event.type, data, previous };
}
