import type { ScheduledTask } from "../jobs/scheduler.ts";
import { kickStreams } from "./stream-jobs.ts";

/**
 * The scheduler's safety net for deliveries: every stream with a delivery due and nobody working it gets
 * its job again (after a worker was killed mid-delivery, its lease runs out and the stream resumes here).
 * Deliveries run on the system clock, so test clocks' passes skip it.
 */
export const webhookSweepTask: ScheduledTask = {
  name: "webhooks.sweep",
  async run({ db, now, scope }) {
    if (scope.testClockId !== null) return 0;
    return kickStreams({ executor: db, now });
  },
};
