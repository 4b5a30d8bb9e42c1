import type { Config } from "../config.ts";
import type { Connection } from "../db/connect.ts";
import type { JobDefinition } from "../jobs/job.ts";
import { runScheduler, type ScheduledTask, schedulerTickJob } from "../jobs/scheduler.ts";
import { waitForJobs } from "../jobs/wait-for-jobs.ts";
import { startWorker } from "../jobs/worker.ts";
import type { Logger } from "../logger.ts";
import type { PaymentProviders } from "../payments/payment-providers.ts";

export interface BillingCycleReport {
  passes: number;
  enqueued: number;
  durationMs: number;
}

/**
 * A billing run on demand (`abono billing-run`): the same scheduler pass the cron runs, then the worker
 * until every job it caused has finished, repeated until a pass finds nothing due. Safe to kill at any
 * point and start again: renewals are keyed by (subscription, period), jobs by their job key.
 */
export async function runBillingCycle({
  connection,
  config,
  logger,
  providers,
  jobs,
  tasks,
  concurrency,
  clock = () => new Date(),
}: {
  connection: Connection;
  config: Config;
  logger: Logger;
  providers: PaymentProviders;
  jobs: readonly JobDefinition[];
  tasks: readonly ScheduledTask[];
  concurrency: number;
  clock?: () => Date;
}): Promise<BillingCycleReport> {
  const started = performance.now();
  const worker = await startWorker({
    pool: connection.pool,
    jobs: [...jobs, schedulerTickJob(tasks)],
    concurrency,
    pollIntervalMs: config.workerPollIntervalMs,
    dependencies: { db: connection.db, config, logger, providers },
  });
  let passes = 0;
  let enqueued = 0;
  try {
    // Jobs left by an earlier, interrupted run are finished first.
    await waitForJobs({ db: connection.db, queueName: null, deadline: Number.POSITIVE_INFINITY });
    for (;;) {
      passes += 1;
      const added = await runScheduler({
        tasks,
        db: connection.db,
        now: clock(),
        scope: { testClockId: null },
        logger,
      });
      enqueued += added;
      await waitForJobs({ db: connection.db, queueName: null, deadline: Number.POSITIVE_INFINITY });
      logger.info({ pass: passes, enqueued: added }, "billing run pass finished");
      if (added === 0) break;
    }
  } finally {
    await worker.stop();
  }
  return { passes, enqueued, durationMs: performance.now() - started };
}
