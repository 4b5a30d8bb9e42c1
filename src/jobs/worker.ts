import { EventEmitter } from "node:events";
import {
  type CronItem,
  parseCronItems,
  run,
  type TaskList,
  type WorkerEvents,
  Logger as WorkerLogger,
} from "graphile-worker";
import type pg from "pg";
import type { Logger } from "../logger.ts";
import type { JobDefinition, JobDependencies } from "./job.ts";
import type { WorkerLiveness } from "./worker-liveness.ts";

export interface Worker {
  stop(): Promise<void>;
}

/** Runs graphile-worker with Abono's typed jobs and cron items on the given pool. */
export async function startWorker({
  pool,
  jobs,
  cron = [],
  concurrency,
  dependencies,
  pollIntervalMs = 2000,
  liveness,
}: {
  pool: pg.Pool;
  jobs: readonly JobDefinition[];
  cron?: CronItem[];
  concurrency: number;
  dependencies: JobDependencies;
  pollIntervalMs?: number;
  /** Marks this process's workers alive, so that another process can take over a killed one's jobs. */
  liveness?: WorkerLiveness;
}): Promise<Worker> {
  const taskList: TaskList = {};
  for (const job of jobs) {
    if (taskList[job.name]) throw new Error(`Job ${job.name} is registered twice`);
    taskList[job.name] = async (rawPayload, helpers) => {
      const logger = dependencies.logger.child({ job: job.name, jobId: helpers.job.id });
      const parsed = job.payload.safeParse(rawPayload);
      if (!parsed.success) {
        logger.error({ issues: parsed.error.issues }, "job payload is invalid");
        throw new Error(`Invalid payload for job ${job.name}: ${parsed.error.message}`);
      }
      await job.handler({
        payload: parsed.data,
        context: { ...dependencies, logger, jobId: helpers.job.id, attempt: helpers.job.attempts },
      });
    };
  }
  const events: WorkerEvents = new EventEmitter();
  // graphile-worker locks jobs and queues in the name of the worker pool (not of its workers): that
  // is the id the sweeps of other processes find on the jobs, so it is the one marked alive.
  events.on("pool:create", ({ workerPool }) => liveness?.hold(workerPool.id));
  const runner = await run({
    events,
    pgPool: pool,
    taskList,
    concurrency,
    noHandleSignals: true,
    pollInterval: pollIntervalMs,
    parsedCronItems: parseCronItems(cron),
    logger: workerLogger(dependencies.logger),
  });
  // Stopping twice (the liveness connection lost, then the process shutting down) waits for one stop.
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= runner.stop();
      return stopping;
    },
  };
}

function workerLogger(logger: Logger): WorkerLogger {
  const base = logger.child({ component: "worker" });
  return new WorkerLogger(() => (level, message, meta) => {
    const method = level === "error" ? "error" : level === "warning" ? "warn" : "debug";
    base[method]({ ...meta }, message);
  });
}
