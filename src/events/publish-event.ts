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
 * Events that follow from it (`payment.succeeded` after `invoice.paid`…) are published with it.
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
}): Promise<string> {
  const [first] = await publishEvents({ executor, events: [event as NewEvent] });
  if (!first) throw new Error(`The event ${event.type} was not recorded`);
  return first.id;
}

/**
 * Many events in one statement (the billing run's batches): each organization's events are numbered in
 * the order given. Returns the ids and sequence numbers of the given events (not of derived ones).
 */
export async function publishEvents({
  executor,
  events,
}: {
  executor: Executor;
  events: readonly NewEvent[];
}): Promise<{ id: string; sequence: number }[]> {
  if (events.length === 0) return [];
  const { rows, ids } = eventRowsOf(events);
  const { rows: written } = await executor.execute<{ event_id: string; event_sequence: string }>(
    sql`select event_id, event_sequence::text from abono_publish_events(${JSON.stringify(rows)}::jsonb)`,
  );
  const sequenceOf = new Map(written.map((row) => [row.event_id, Number(row.event_sequence)]));
  return ids.map((id) => ({ id, sequence: sequenceOf.get(id) ?? 0 }));
}

/**
 * The items `abono_publish_events` takes for `events` (each checked against the catalog, followed by
 * the events derived from it), and the ids of the given events: for a caller that publishes them
 * within a larger statement (the billing run's batches).
 */
export function eventRowsOf(events: readonly NewEvent[]): {
  rows: Record<string, unknown>[];
  ids: string[];
} {
  const rows: Record<string, unknown>[] = [];
  const ids: string[] = [];
  for (const event of events) {
    const encoded = encodeEvent(event);
    const id = newId("evt", event.now.getTime());
    ids.push(id);
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
  return { rows, ids };
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
