import { z } from "zod";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import { defineJob } from "./job.ts";

/**
 * The scheduler: tasks that look for due work (by indexed `due_at`-style columns) and enqueue one
 * idempotent job per piece of work. The production cron calls `runScheduler` with the system time for
 * everything not on a test clock; advancing a test clock calls the very same function with the clock's
 * time, scoped to that clock's organizations.
 */
export interface SchedulerScope {
  /** `null`: real time, organizations without a test clock. Otherwise only that clock's organizations. */
  testClockId: string | null;
}

export interface ScheduledTask {
  name: string;
  /**
   * Enqueues the work due at `now` within `scope` and says how many jobs it added. `config` is the
   * installation's (the cron tick passes it; test-clock advances and direct calls may not).
   */
  run(args: {
    db: Database;
    now: Date;
    scope: SchedulerScope;
    logger: Logger;
    config?: Config;
  }): Promise<number>;
}

/** Jobs for a test clock's organizations run in that clock's own queue, in order, so an advance can wait for them. */
export function queueForScope(scope: SchedulerScope): string | undefined {
  return scope.testClockId === null ? undefined : testClockQueue(scope.testClockId);
}

/** Due work is enqueued in bulk, in batches; whatever exceeds one pass is picked up by the next pass. */
export const maxDuePerPass = 100_000;
export const enqueueBatchSize = 2_000;

export const testClockQueue = (testClockId: string) => `test_clock:${testClockId}`;

export async function runScheduler({
  tasks,
  db,
  now,
  scope,
  logger,
  config,
}: {
  tasks: readonly ScheduledTask[];
  db: Database;
  now: Date;
  scope: SchedulerScope;
  logger: Logger;
  config?: Config;
}): Promise<number> {
  let enqueued = 0;
  for (const task of tasks) {
    const started = performance.now();
    const added = await task.run({ db, now, scope, logger, ...(config ? { config } : {}) });
    enqueued += added;
    logger.debug(
      { task: task.name, enqueued: added, ms: performance.now() - started, scope },
      "scheduled task ran",
    );
  }
  return enqueued;
}

const schedulerTickName = "scheduler.tick";

/** The cron hook: graphile-worker's cron adds one `scheduler.tick` job a minute. */
export function schedulerTickJob(tasks: readonly ScheduledTask[]) {
  return defineJob({
    name: schedulerTickName,
    payload: z.object({ _cron: z.object({ ts: z.string() }).optional() }),
    maxAttempts: 1,
    async handler({ context }) {
      await runScheduler({
        tasks,
        db: context.db,
        now: new Date(),
        scope: { testClockId: null },
        logger: context.logger,
        config: context.config,
      });
    },
  });
}

export const schedulerCron = {
  task: schedulerTickName,
  match: "* * * * *",
  identifier: "scheduler",
};
