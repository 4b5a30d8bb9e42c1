import { purgeExpiredIdempotencyKeys } from "../idempotency/idempotency-store.ts";
import type { JobDefinition } from "./job.ts";
import { type ScheduledTask, schedulerCron, schedulerTickJob } from "./scheduler.ts";

/** Work the scheduler looks for on every tick. */
export const scheduledTasks: readonly ScheduledTask[] = [purgeExpiredIdempotencyKeys];

/** Every job the worker runs. */
export const jobRegistry: readonly JobDefinition[] = [schedulerTickJob(scheduledTasks)];

export const cronItems = [schedulerCron];
