import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { idempotencyKeys } from "../../src/db/schema/index.ts";
import { enqueueJob } from "../../src/jobs/enqueue-job.ts";
import { defineJob } from "../../src/jobs/job.ts";
import { jobRegistry, scheduledTasks } from "../../src/jobs/jobs.ts";
import { runScheduler } from "../../src/jobs/scheduler.ts";
import { createLogger } from "../../src/logger.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

const ran: string[] = [];
const recordJob = defineJob({
  name: "test.record",
  payload: z.object({ label: z.string() }),
  async handler({ payload }) {
    ran.push(payload.label);
  },
});

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ jobs: [...jobRegistry, recordJob] });
});
afterAll(() => app.close());

async function jobsInQueue(label: string): Promise<number> {
  const { rows } = await app.database.pool.query(
    `select count(*)::int as count
       from graphile_worker._private_jobs job
       join graphile_worker._private_tasks task on task.id = job.task_id
      where task.identifier = 'test.record' and job.payload->>'label' = $1`,
    [label],
  );
  return rows[0].count;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("jobs and the outbox", () => {
  it("never runs a job added in a rolled-back transaction; runs a committed one exactly once", async () => {
    const db = app.server.connection.db;
    await expect(
      db.transaction(async (tx) => {
        await enqueueJob(tx, recordJob, { label: "rolled-back" });
        throw new Error("domain write failed");
      }),
    ).rejects.toThrow("domain write failed");
    await db.transaction(async (tx) => {
      await enqueueJob(tx, recordJob, { label: "committed" });
    });

    await waitFor(() => ran.includes("committed"));
    // The committed job is done (deleted, so it cannot run again); nothing for the rolled-back one was
    // ever queued.
    await waitFor(async () => (await jobsInQueue("committed")) === 0);
    expect(await jobsInQueue("rolled-back")).toBe(0);
    expect(ran.filter((label) => label === "committed")).toHaveLength(1);
    expect(ran).not.toContain("rolled-back");
  });

  it("validates the payload when the job is added", async () => {
    await expect(
      enqueueJob(app.server.connection.db, recordJob, { label: 7 } as unknown as { label: string }),
    ).rejects.toBeInstanceOf(z.ZodError);
    expect(await jobsInQueue("7")).toBe(0);
  });

  it("deduplicates by job key", async () => {
    const db = app.server.connection.db;
    const runAt = new Date(Date.now() + 60_000);
    await enqueueJob(db, recordJob, { label: "keyed" }, { jobKey: "same", runAt });
    await enqueueJob(db, recordJob, { label: "keyed" }, { jobKey: "same", runAt });
    expect(await jobsInQueue("keyed")).toBe(1);
  });

  it("registers the scheduler's cron tick", async () => {
    const { rows } = await app.database.pool.query(
      "select identifier from graphile_worker._private_known_crontabs",
    );
    expect(rows.map((row) => row.identifier)).toContain("scheduler");
  });
});

describe("scheduler", () => {
  it("purges idempotency keys past their 24 h retention and keeps live ones", async () => {
    const db = app.server.connection.db;
    const now = new Date("2026-11-21T12:00:00Z");
    const row = (key: string, expiresAt: Date) => ({
      principal: "key_test",
      key,
      requestHash: "h",
      method: "POST",
      path: "/x",
      state: "completed" as const,
      lockedAt: now,
      createdAt: now,
      expiresAt,
    });
    await db
      .insert(idempotencyKeys)
      .values([
        row("expired", new Date(now.getTime() - 1000)),
        row("live", new Date(now.getTime() + 1000)),
      ]);
    await runScheduler({
      tasks: scheduledTasks,
      db,
      now,
      scope: { testClockId: null },
      logger: createLogger({ level: "silent" }),
    });
    const keys = await db.execute<{ key: string }>(
      sql`select key from idempotency_keys where principal = 'key_test'`,
    );
    expect(keys.rows.map((entry) => entry.key)).toEqual(["live"]);
  });
});
