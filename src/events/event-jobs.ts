import { z } from "zod";
import { defineJob } from "../jobs/job.ts";
import { eventMessageConsumers } from "../notifications/event-messages.ts";
import { dispatchEvents } from "./dispatch-events.ts";
import { eventTypes } from "./event-catalog.ts";

/** Types published by earlier releases whose jobs may still be queued after an upgrade. */
const retiredEventTypes = ["subscription.changed"];

/** The events one publishing statement wrote (one, or a billing-run batch's many, of any types). */
const eventPayload = z.object({ eventIds: z.array(z.string()).min(1) });

/** A job that dispatches its events to the messages sent to people, then marks them published. */
function dispatchJob(name: string) {
  return defineJob({
    name,
    payload: eventPayload,
    async handler({ payload, context }) {
      await dispatchEvents({
        db: context.db,
        eventIds: payload.eventIds,
        consumers: eventMessageConsumers,
        now: new Date(),
      });
    },
  });
}

/**
 * `events.dispatch`: one job per publishing statement and queue, enqueued with the events in their
 * transaction (`abono_publish_events`). Earlier releases enqueued one job per event type
 * (`subscription.plan_changed`, `invoice.paid`, …); those names keep a handler so jobs queued before an
 * upgrade still run.
 */
export const eventJobs = [
  dispatchJob("events.dispatch"),
  ...[...eventTypes, ...retiredEventTypes].map(dispatchJob),
];
