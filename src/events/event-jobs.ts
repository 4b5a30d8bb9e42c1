import { z } from "zod";
import { defineJob } from "../jobs/job.ts";
import { eventMessageConsumers } from "../notifications/event-messages.ts";
import { dispatchEvents } from "./dispatch-events.ts";
import { eventTypes } from "./event-catalog.ts";

/** Types published by earlier releases whose jobs may still be queued after an upgrade. */
const retiredEventTypes = ["subscription.changed"];

/** One event, or many of the same type (the billing run's batches). */
const eventPayload = z.object({ eventIds: z.array(z.string()).min(1) });

/**
 * One job per event type (`subscription.plan_changed`, `invoice.paid`, …), enqueued with the event in
 * its transaction: it dispatches the events to the messages sent to people, then marks them published.
 */
export const eventJobs = [...eventTypes, ...retiredEventTypes].map((type) =>
  defineJob({
    name: type,
    payload: eventPayload,
    async handler({ payload, context }) {
      await dispatchEvents({
        db: context.db,
        eventIds: payload.eventIds,
        consumers: eventMessageConsumers,
        now: new Date(),
      });
    },
  }),
);
