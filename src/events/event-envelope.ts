import { z } from "zod";
import type { events } from "../db/schema/index.ts";

export type EventRow = typeof events.$inferSelect;

/**
 * One event as the API lists it and as webhooks and queues carry it (the body, byte for byte, that
 * `webhook-signature` signs).
 */
export const eventEnvelopeSchema = z.object({
  id: z.string().meta({ description: "Unique; the `webhook-id` of its deliveries" }),
  type: z.string().meta({ examples: ["subscription.plan_changed"] }),
  schemaVersion: z.int().meta({ description: "The version of `data`'s schema for this type" }),
  sequence: z.int().meta({
    description:
      "1, 2, 3… per organization, in commit order with no gap: a consumer orders by it and detects a missed event",
  }),
  createdAt: z.date(),
  organizationId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  previous: z
    .record(z.string(), z.unknown())
    .nullable()
    .meta({ description: "The values before the change, for the types that say so; else null" }),
});

export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

export function toEventEnvelope(row: EventRow): EventEnvelope {
  return {
    id: row.id,
    type: row.type,
    schemaVersion: row.schemaVersion,
    sequence: row.sequence,
    createdAt: row.createdAt,
    organizationId: row.organizationId,
    data: row.data as Record<string, unknown>,
    previous: (row.previous as Record<string, unknown> | null) ?? null,
  };
}
