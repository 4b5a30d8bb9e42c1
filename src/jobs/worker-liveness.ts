import pg from "pg";
import type { Logger } from "../logger.ts";

/** The advisory-lock class of "this graphile worker is alive" (the object id is hashtext(workerId)). */
const liveWorkerLockClass = 0x4142_4e57; // "ABNW"

export interface WorkerLivenessTiming {
  /** A job or queue locked this long by a worker nobody holds alive is released. */
  sweepAfterSeconds: number;
  sweepEveryMs: number;
  /** How often the holder connection is checked, so that a connection lost silently is noticed. */
  checkEveryMs: number;
  /**
   * How long the holder connection may stay lost: past this, the process stops taking jobs. Well under
   * `sweepAfterSeconds`, so a worker whose locks lapsed has stopped before another process may take its
   * jobs over.
   */
  reconnectWithinMs: number;
  /** Pause between two reconnection attempts. */
  retryEveryMs: number;
}

export const defaultWorkerLivenessTiming: WorkerLivenessTiming = {
  sweepAfterSeconds: 30,
  sweepEveryMs: 10_000,
  checkEveryMs: 5_000,
  reconnectWithinMs: 10_000,
  retryEveryMs: 500,
};

export interface WorkerLiveness {
  /**
   * Marks a worker of this process alive for as long as the process's connection lives: the id
   * graphile-worker locks jobs with (its worker pool's id).
   */
  hold(workerId: string): void;
  /** The connection whose session holds the locks, null while it is being re-established (tests). */
  holderProcessId(): number | null;
  stop(): Promise<void>;
}

/**
 * Jobs locked by a killed process go back to the queue within a minute instead of graphile-worker's four
 * hours. Each process holds a session-level advisory lock per worker on one dedicated connection; the
 * lock disappears with the process (or its connection). Every process sweeps: a worker id that still
 * locks jobs or queues after `sweepAfterSeconds` and whose advisory lock is free belongs to a dead
 * process, so its locks are released (`force_unlock_workers`) and the jobs run again elsewhere. Jobs
 * are written to be run again safely (each handler is idempotent), which is what makes this sound.
 *
 * A holder connection that fails (a database restart, a killed backend) is replaced at once and the
 * locks taken again. If that cannot be done within `reconnectWithinMs`, `onLost` is called: the process
 * must stop taking jobs, since its workers now look dead to the other processes' sweeps.
 */
export async function startWorkerLiveness({
  pool,
  logger,
  onLost,
  timing = defaultWorkerLivenessTiming,
}: {
  pool: pg.Pool;
  logger: Logger;
  /** Called once when the locks could not be held again in time (stop the workers). */
  onLost?: () => void;
  timing?: WorkerLivenessTiming;
}): Promise<WorkerLiveness> {
  const held = new Set<string>();
  let holder: pg.Client | null = null;
  let stopped = false;
  let lost = false;
  let recovering = false;
  // Lock taking and reconnection run one at a time, in order, on whatever connection is current.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (step: () => Promise<void>) => {
    chain = chain.then(step).catch((error) => {
      logger.error({ err: error }, "worker liveness step failed");
    });
    return chain;
  };

  const lockOn = (client: pg.Client, workerId: string) =>
    client.query("select pg_advisory_lock($1, hashtext($2))", [liveWorkerLockClass, workerId]);

  const connectHolder = async (): Promise<pg.Client> => {
    const client = new pg.Client(pool.options);
    client.on("error", (error) => failed(client, error));
    client.on("end", () => failed(client, new Error("the connection ended")));
    try {
      await client.connect();
      for (const workerId of held) await lockOn(client, workerId);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return client;
  };

  const recover = async () => {
    const giveUpAt = Date.now() + timing.reconnectWithinMs;
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        holder = await connectHolder();
        recovering = false;
        logger.warn(
          { workers: [...held], attempt },
          "the worker liveness connection was re-established and its workers marked alive again",
        );
        return;
      } catch (error) {
        if (Date.now() + timing.retryEveryMs >= giveUpAt) {
          lost = true;
          recovering = false;
          logger.error(
            { err: error, workers: [...held] },
            "the worker liveness connection could not be re-established: this process stops taking jobs",
          );
          onLost?.();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, timing.retryEveryMs));
      }
    }
  };

  function failed(client: pg.Client, error: unknown) {
    // Only the current connection's loss matters (an old one's late events are ignored).
    if (stopped || lost || client !== holder) return;
    holder = null;
    client.end().catch(() => {});
    // Losing the connection loses the locks: until they are held again another process's sweep may
    // take this process's jobs over.
    logger.error({ err: error }, "the worker liveness connection failed; reconnecting");
    if (recovering) return;
    recovering = true;
    void enqueue(recover);
  }

  holder = await connectHolder();

  const sweep = async () => {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ worker: string }>(
        `select locked_by as worker from graphile_worker._private_jobs
          where locked_by is not null and locked_at < now() - make_interval(secs => $1)
         union
         select locked_by from graphile_worker._private_job_queues
          where locked_by is not null and locked_at < now() - make_interval(secs => $1)`,
        [timing.sweepAfterSeconds],
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
  const sweepTimer = setInterval(() => {
    sweep().catch((error) => logger.warn({ err: error }, "sweeping dead workers' jobs failed"));
  }, timing.sweepEveryMs);
  sweepTimer.unref();

  // A connection lost without a word (a network partition) is noticed by a failing query.
  const checkTimer = setInterval(() => {
    const client = holder;
    if (!client) return;
    client.query("select 1").catch((error) => failed(client, error));
  }, timing.checkEveryMs);
  checkTimer.unref();

  return {
    hold(workerId) {
      held.add(workerId);
      void enqueue(async () => {
        const client = holder;
        // While reconnecting, the new connection takes every held lock, this one included.
        if (!client) return;
        await lockOn(client, workerId).catch((error) => {
          logger.error({ err: error, workerId }, "could not mark a worker alive");
          failed(client, error);
        });
      });
    },
    holderProcessId() {
      const client = holder as (pg.Client & { processID?: number }) | null;
      return client?.processID ?? null;
    },
    async stop() {
      stopped = true;
      clearInterval(sweepTimer);
      clearInterval(checkTimer);
      await chain;
      await holder?.end().catch(() => {});
      holder = null;
    },
  };
}
