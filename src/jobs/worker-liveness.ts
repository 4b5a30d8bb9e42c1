import pg from "pg";
import type { Logger } from "../logger.ts";

/** The advisory-lock class of "this graphile worker is alive" (the object id is hashtext(workerId)). */
const liveWorkerLockClass = 0x4142_4e57; // "ABNW"

/** A job or queue locked this long by a worker nobody holds alive is released. */
const sweepAfterSeconds = 30;
const sweepEveryMs = 10_000;

export interface WorkerLiveness {
  /** Marks a worker of this process alive for as long as the process's connection lives. */
  hold(workerId: string): void;
  stop(): Promise<void>;
}

/**
 * Jobs locked by a killed process go back to the queue within a minute instead of graphile-worker's four
 * hours. Each process holds a session-level advisory lock per worker on one dedicated connection; the
 * lock disappears with the process (or its connection). Every process sweeps: a worker id that still
 * locks jobs or queues after `sweepAfterSeconds` and whose advisory lock is free belongs to a dead
 * process, so its locks are released (`force_unlock_workers`) and the jobs run again elsewhere. Jobs
 * are written to be run again safely (each handler is idempotent), which is what makes this sound.
 */
export async function startWorkerLiveness({
  pool,
  logger,
}: {
  pool: pg.Pool;
  logger: Logger;
}): Promise<WorkerLiveness> {
  const holder = new pg.Client(pool.options);
  const held = new Set<string>();
  let holding = Promise.resolve();
  holder.on("error", (error) => {
    // Losing the connection loses the locks: other processes may now take this process's jobs over,
    // which idempotent jobs survive. Stop claiming to be alive rather than half-alive.
    logger.error(
      { err: error },
      "the worker liveness connection failed; its jobs may run elsewhere",
    );
  });
  await holder.connect();

  const sweep = async () => {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ worker: string }>(
        `select locked_by as worker from graphile_worker._private_jobs
          where locked_by is not null and locked_at < now() - make_interval(secs => $1)
         union
         select locked_by from graphile_worker._private_job_queues
          where locked_by is not null and locked_at < now() - make_interval(secs => $1)`,
        [sweepAfterSeconds],
      );
      const dead: string[] = [];
      for (const { worker } of rows) {
        if (held.has(worker)) continue;
        const { rows: taken } = await client.query<{ free: boolean }>(
          "select pg_try_advisory_lock($1, hashtext($2)) as free",
          [liveWorkerLockClass, worker],
        );
        if (taken[0]?.free) {
          await client.query("select pg_advisory_unlock($1, hashtext($2))", [
            liveWorkerLockClass,
            worker,
          ]);
          dead.push(worker);
        }
      }
      if (dead.length > 0) {
        await client.query("select graphile_worker.force_unlock_workers($1::text[])", [dead]);
        logger.warn({ workers: dead }, "released the jobs of workers whose process is gone");
      }
    } finally {
      client.release();
    }
  };
  const timer = setInterval(() => {
    sweep().catch((error) => logger.warn({ err: error }, "sweeping dead workers' jobs failed"));
  }, sweepEveryMs);
  timer.unref();

  return {
    hold(workerId) {
      held.add(workerId);
      holding = holding
        .then(() =>
          holder.query("select pg_advisory_lock($1, hashtext($2))", [
            liveWorkerLockClass,
            workerId,
          ]),
        )
        .then(
          () => undefined,
          (error) => logger.error({ err: error, workerId }, "could not mark a worker alive"),
        );
    },
    async stop() {
      clearInterval(timer);
      await holding;
      await holder.end().catch(() => {});
    },
  };
}
