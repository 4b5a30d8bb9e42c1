import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import type { Config } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { enqueueJob } from "../../src/jobs/enqueue-job.ts";
import { defineJob } from "../../src/jobs/job.ts";
import { startWorker, type Worker } from "../../src/jobs/worker.ts";
import {
  defaultWorkerLivenessTiming,
  startWorkerLiveness,
  type WorkerLiveness,
  type WorkerLivenessTiming,
} from "../../src/jobs/worker-liveness.ts";
import { createLogger } from "../../src/logger.ts";
import type { PaymentProviders } from "../../src/payments/payment-providers.ts";
import type { TaxCalculator } from "../../src/taxes/tax-calculator.ts";
import { adminQuery } from "../global-setup.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { fakeClockEnvironment, processTestTimeout } from "../helpers/process.ts";
import { until } from "../helpers/until.ts";

const liveWorkerLockClass = 0x4142_4e57;
const logger = createLogger({ level: "silent" });
/** Seconds, not minutes: a job locked 1 s by a worker nobody holds alive is released. */
const fast: WorkerLivenessTiming = {
  ...defaultWorkerLivenessTiming,
  sweepAfterSeconds: 1,
  sweepEveryMs: 200,
  checkEveryMs: 200,
  reconnectWithinMs: 1_500,
  retryEveryMs: 100,
};

let database: TestDatabase;
const closing: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const close of closing.reverse()) await close().catch(() => {});
  await database.drop();
});

/** A process's share of the pool: its own connections, its own liveness, and its workers. */
function openProcessPool() {
  const handle = openDatabase({ connectionString: database.url, maxConnections: 4 });
  closing.push(() => handle.close());
  return handle;
}

async function startLiveness(
  pool: ReturnType<typeof openProcessPool>["pool"],
  options: { onLost?: () => void } = {},
): Promise<WorkerLiveness> {
  const liveness = await startWorkerLiveness({ pool, logger, timing: fast, ...options });
  closing.push(() => liveness.stop());
  return liveness;
}

/** Whether another session could take the worker's liveness lock: then the worker looks dead. */
async function looksDead(workerId: string): Promise<boolean> {
  const client = await database.pool.connect();
  try {
    const { rows } = await client.query<{ free: boolean }>(
      "select pg_try_advisory_lock($1, hashtext($2)) as free",
      [liveWorkerLockClass, workerId],
    );
    if (rows[0]?.free) {
      await client.query("select pg_advisory_unlock($1, hashtext($2))", [
        liveWorkerLockClass,
        workerId,
      ]);
    }
    return rows[0]?.free ?? false;
  } finally {
    client.release();
  }
}

async function startJobWorker(
  handle: ReturnType<typeof openProcessPool>,
  liveness: WorkerLiveness,
  jobs: Parameters<typeof startWorker>[0]["jobs"],
): Promise<Worker> {
  const worker = await startWorker({
    pool: handle.pool,
    liveness,
    jobs,
    concurrency: 1,
    pollIntervalMs: 50,
    dependencies: {
      db: handle.db,
      logger,
      clock: () => new Date(),
      config: {} as Config,
      providers: {} as PaymentProviders,
      taxCalculator: {} as TaxCalculator,
    },
  });
  closing.push(() => worker.stop());
  return worker;
}

async function jobRow(label: string) {
  const { rows } = await database.pool.query<{ locked_by: string | null; attempts: number }>(
    `select job.locked_by, job.attempts
       from graphile_worker._private_jobs job
       join graphile_worker._private_tasks task on task.id = job.task_id
      where job.payload->>'label' = $1`,
    [label],
  );
  return rows[0];
}

describe("worker liveness", () => {
  it("re-takes the liveness lock on a new connection when its connection is killed", async () => {
    const handle = openProcessPool();
    const liveness = await startLiveness(handle.pool);
    liveness.hold("worker-restarted-connection");
    await until({
      what: "the worker marked alive",
      read: async () => ((await looksDead("worker-restarted-connection")) ? undefined : true),
    });
    const before = liveness.holderProcessId();
    expect(before).not.toBeNull();

    await database.pool.query("select pg_terminate_backend($1)", [before]);

    const after = await until({
      what: "a new liveness connection",
      read: () => {
        const pid = liveness.holderProcessId();
        return pid !== null && pid !== before ? pid : undefined;
      },
      timeoutMs: 5_000,
    });
    await until({
      what: "the worker marked alive again",
      read: async () => ((await looksDead("worker-restarted-connection")) ? undefined : true),
      timeoutMs: 5_000,
    });
    const { rows } = await database.pool.query<{ pid: number }>(
      `select pid from pg_locks
        where locktype = 'advisory' and granted and classid = $1::bigint::oid
          and database = (select oid from pg_database where datname = current_database())`,
      [liveWorkerLockClass],
    );
    expect(rows.map((row) => row.pid)).toEqual([after]);
  });

  it("stops taking jobs when the connection cannot be re-established in time", async () => {
    const handle = openProcessPool();
    let lostAt: number | null = null;
    let worker: Worker | null = null;
    const liveness = await startLiveness(handle.pool, {
      // What the server does: its workers stop taking jobs.
      onLost: () => {
        lostAt = Date.now();
        void worker?.stop();
      },
    });
    const ran: string[] = [];
    const recordJob = defineJob({
      name: "test.liveness_record",
      payload: z.object({ label: z.string() }),
      async handler({ payload }) {
        ran.push(payload.label);
      },
    });
    worker = await startJobWorker(handle, liveness, [recordJob]);
    await enqueueJob(database.db, recordJob, { label: "while-alive" });
    await until({ what: "a job run", read: () => (ran.length > 0 ? true : undefined) });
    const holder = liveness.holderProcessId();

    const serverUrl = inject("serverUrl");
    await adminQuery(serverUrl, `alter database ${database.name} allow_connections false`);
    try {
      const killedAt = Date.now();
      await database.pool.query("select pg_terminate_backend($1)", [holder]);
      await until({ what: "the loss reported", read: () => lostAt ?? undefined, timeoutMs: 5_000 });
      expect((lostAt ?? 0) - killedAt).toBeLessThan(fast.reconnectWithinMs + 1_000);
      expect(liveness.holderProcessId()).toBeNull();
    } finally {
      await adminQuery(serverUrl, `alter database ${database.name} allow_connections true`);
    }
    // The database is back, but the worker no longer takes jobs: it would run them unprotected.
    await enqueueJob(database.db, recordJob, { label: "after-loss" });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(ran).toEqual(["while-alive"]);
  });

  it(
    "releases a killed process's job to another worker, which runs it exactly once",
    async () => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", path.resolve(import.meta.dirname, "../helpers/liveness-worker.ts")],
        {
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            ...fakeClockEnvironment(),
            DATABASE_URL: database.url,
          },
          stdio: ["ignore", "pipe", "pipe"],
          detached: true,
        },
      );
      let output = "";
      child.stdout.on("data", (chunk) => {
        output += chunk;
      });
      child.stderr.on("data", (chunk) => {
        output += chunk;
      });
      const exited = new Promise((resolve) => child.on("exit", resolve));
      closing.push(async () => {
        if (child.exitCode === null) process.kill(-(child.pid ?? 0), "SIGKILL");
        await exited;
      });
      await until({
        what: `the worker process ready:\n${output}`,
        read: () => (output.includes("liveness worker ready") ? true : undefined),
        timeoutMs: 60_000,
      });
      await enqueueJob(
        database.db,
        defineJob({
          name: "test.liveness_probe",
          payload: z.object({ label: z.string() }),
          handler: async () => {},
        }),
        { label: "orphan" },
      );
      await until({
        what: "the worker process took the job",
        read: () => (output.includes("took orphan") ? true : undefined),
      });
      const taken = await jobRow("orphan");
      expect(taken?.locked_by).not.toBeNull();

      // The process dies with the job in hand: its connections close, its liveness lock goes with them.
      process.kill(-(child.pid ?? 0), "SIGKILL");
      await exited;

      const runs: string[] = [];
      const handle = openProcessPool();
      const liveness = await startLiveness(handle.pool);
      await startJobWorker(handle, liveness, [
        defineJob({
          name: "test.liveness_probe",
          payload: z.object({ label: z.string() }),
          async handler({ payload }) {
            runs.push(payload.label);
          },
        }),
      ]);
      await until({
        what: "the orphaned job done",
        read: async () => ((await jobRow("orphan")) === undefined ? true : undefined),
        timeoutMs: 15_000,
      });
      // Several sweeps later it has still run once.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(runs).toEqual(["orphan"]);
    },
    processTestTimeout,
  );

  it("never releases the job of a live worker, however long it runs", async () => {
    const runs: string[] = [];
    let finish = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const slowJob = defineJob({
      name: "test.liveness_slow",
      payload: z.object({ label: z.string() }),
      async handler({ payload }) {
        runs.push(payload.label);
        await finished;
      },
    });
    // Two processes, each with a worker that can run the job and a sweep every 200 ms.
    const first = openProcessPool();
    const firstLiveness = await startLiveness(first.pool);
    await startJobWorker(first, firstLiveness, [slowJob]);
    const second = openProcessPool();
    const secondLiveness = await startLiveness(second.pool);
    await startJobWorker(second, secondLiveness, [slowJob]);

    await enqueueJob(database.db, slowJob, { label: "long" });
    try {
      await until({ what: "the job started", read: () => (runs.length > 0 ? true : undefined) });
      const lockedBy = (await jobRow("long"))?.locked_by;
      expect(lockedBy).toBeTruthy();
      // Three times the sweep's threshold, fifteen sweeps: the job stays with its worker.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect((await jobRow("long"))?.locked_by).toBe(lockedBy);
      expect(runs).toEqual(["long"]);
    } finally {
      finish();
    }
    await until({
      what: "the long job done",
      read: async () => ((await jobRow("long")) === undefined ? true : undefined),
    });
    expect(runs).toEqual(["long"]);
  });
});
