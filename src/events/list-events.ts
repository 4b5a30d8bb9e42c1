import { and, asc, desc, eq, gt, gte, inArray, lt, lte, type SQL } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { events } from "../db/schema/index.ts";
import { notFound } from "../errors.ts";
import type { EventRow } from "./event-envelope.ts";

export interface EventFilters {
  organizationId: string | undefined;
  types: readonly string[] | undefined;
  since: Date | undefined;
  until: Date | undefined;
}

/**
 * One page of events. Of one organization: in sequence order (`asc` from the oldest, to catch up; `desc`
 * from the newest) with the cursor a sequence number. Across organizations (root): newest first by id,
 * the cursor an id.
 */
export async function listEvents({
  db,
  filters,
  order,
  limit,
  cursor,
}: {
  db: Database;
  filters: EventFilters;
  order: "asc" | "desc";
  limit: number;
  cursor: string | undefined;
}): Promise<{ rows: EventRow[]; cursorOf: (row: EventRow) => string }> {
  const conditions: SQL[] = [];
  if (filters.types !== undefined) conditions.push(inArray(events.type, [...filters.types]));
  if (filters.since !== undefined) conditions.push(gte(events.createdAt, filters.since));
  if (filters.until !== undefined) conditions.push(lte(events.createdAt, filters.until));
  if (filters.organizationId !== undefined) {
    conditions.push(eq(events.organizationId, filters.organizationId));
    if (cursor !== undefined) {
      const after = Number(cursor);
      conditions.push(order === "asc" ? gt(events.sequence, after) : lt(events.sequence, after));
    }
    const rows = await db
      .select()
      .from(events)
      .where(and(...conditions))
      .orderBy(order === "asc" ? asc(events.sequence) : desc(events.sequence))
      .limit(limit + 1);
    return { rows, cursorOf: (row) => String(row.sequence) };
  }
  if (cursor !== undefined) {
    conditions.push(order === "asc" ? gt(events.id, cursor) : lt(events.id, cursor));
  }
  const rows = await db
    .select()
    .from(events)
    .where(and(...conditions))
    .orderBy(order === "asc" ? asc(events.id) : desc(events.id))
    .limit(limit + 1);
  return { rows, cursorOf: (row) => row.id };
}

export async function getEvent({ db, eventId }: { db: Database; eventId: string }) {
  const [row] = await db.select().from(events).where(eq(events.id, eventId));
  if (!row) throw notFound("Event", eventId);
  return row;
}
