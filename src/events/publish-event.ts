import { inArray } from "drizzle-orm";
import { z } from "zod";
import { toJson } from "../audit/record-audit.ts";
import type { Executor } from "../db/database.ts";
import { events } from "../db/schema/index.ts";
import { newId } from "../ids.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import { defineJob } from "../jobs/job.ts";

export const eventTypes = [
  "subscription.created",
  "subscription.changed",
  "subscription.canceled",
  "subscription.renewed",
  "subscription.expired",
  "subscription.recovered",
  "invoice.paid",
  "invoice.payment_failed",
  "invoice.voided",
  "balance.changed",
  "checkout.completed",
  "checkout.failed",
  "payment.refunded",
  "payment.unapplied",
] as const;
export type EventType = (typeof eventTypes)[number];

/** One event, or many of the same type (the billing run's batches). */
const eventPayload = z.object({ eventIds: z.array(z.string()).min(1) });

/**
 * One job per event type (`subscription.changed`, `invoice.paid`, …). Publishing marks the event
 * published; outbound webhooks and notifications hang off these jobs.
 */
export const eventJobs = eventTypes.map((type) =>
  defineJob({
    name: type,
    payload: eventPayload,
    async handler({ payload, context }) {
      await context.db
        .update(events)
        .set({ publishedAt: new Date() })
        .where(inArray(events.id, payload.eventIds));
    },
  }),
);

/**
 * Records a domain event and enqueues its job, in the caller's transaction (the outbox): the event exists
 * and is delivered exactly when the change that caused it commits.
 */
export async function publishEvent({
  executor,
  type,
  organizationId,
  data,
  now,
  queueName,
}: {
  executor: Executor;
  type: EventType;
  organizationId: string | null;
  data: Record<string, unknown>;
  now: Date;
  queueName?: string | undefined;
}): Promise<string> {
  const id = newId("evt", now.getTime());
  await executor.insert(events).values({
    id,
    type,
    organizationId,
    data: toJson(data) as Record<string, unknown>,
    createdAt: now,
  });
  const job = eventJobs.find((candidate) => candidate.name === type);
  if (!job) throw new Error(`No job for event ${type}`);
  await enqueueJob(executor, job, { eventIds: [id] }, { queueName });
  return id;
}
