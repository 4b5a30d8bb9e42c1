import { z } from "zod";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import { defineJob } from "./job.ts";

/**
 * The scheduler: a list of tasks that look for due work (by indexed `due_at`-style columns) and enqueue
 * one idempotent job per piece of work. The production cron calls `runScheduler` with the system time;
 * test clocks call the very same function with their frozen time.
 */
export interface ScheduledTask {
  name: string;
  run(args: { db: Database; now: Date; logger: Logger }): Promise<void>;
}

export async function runScheduler({
  tasks,
  db,
  now,
  logger,
}: {
  tasks: readonly ScheduledTask[];
  db: Database;
  now: Date;
  logger: Logger;
}): Promise<void> {
  for (const task of tasks) {
    const started = performance.now();
    await task.run({ db, now, logger });
    logger.debug({ task: task.name, ms: performance.now() - started }, "scheduled task ran");
  }
}

/** The cron hook: graphile-worker's cron adds one `scheduler.tick` job a minute. */
export function schedulerTickJob(tasks: readonly ScheduledTask[]) {
  return defineJob({
    name: "scheduler.tick",
    payload: z.object({ _cron: z.object({ ts: z.string() }).optional() }),
    maxAttempts: 1,
    async handler({ context }) {
      await runScheduler({ tasks, db: context.db, now: new Date(), logger: context.logger });
    },
  });
}

export const schedulerCron = {
  task: "scheduler.tick",
  match: "* * * * *",
  identifier: "scheduler",
};
