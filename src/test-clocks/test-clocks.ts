import { and, eq, inArray, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import { testClocks } from "../db/schema/index.ts";
import { invalidState, notFound, validationError } from "../errors.ts";
import { newId } from "../ids.ts";
import { runScheduler, type ScheduledTask, testClockQueue } from "../jobs/scheduler.ts";
import { waitForJobs } from "../jobs/wait-for-jobs.ts";
import type { Logger } from "../logger.ts";

export type TestClockRow = typeof testClocks.$inferSelect;

/** Due work of a clock's organizations that failed and waits for a retry (see `dueWorkFailures`). */
export interface DueWorkFailure {
  /** `renewal` for a renewal on record as failing; otherwise the failed job's task, e.g. `subscription.retry_payment`. */
  work: string;
  organizationId: string | null;
  subscriptionId: string | null;
  attempts: number;
  error: string;
  nextAttemptAt: Date | null;
}

/** A clock with what is failing among its organizations' due work (empty when all of it went through). */
export type TestClock = TestClockRow & { failures: DueWorkFailure[] };

export async function createTestClock({
  db,
  frozenTime,
  name,
  actor,
  now,
}: {
  db: Database;
  frozenTime: Date;
  name: string | null;
  actor: string;
  now: Date;
}): Promise<TestClock> {
  return db.transaction(async (tx) => {
    const [clock] = await tx
      .insert(testClocks)
      .values({
        id: newId("clock", now.getTime()),
        name,
        frozenTime,
        status: "ready",
        createdAt: now,
      })
      .returning();
    if (!clock) throw new Error("test clock insert returned no row");
    await recordAudit({
      executor: tx,
      entry: { action: "test_clock.created", actor, organizationId: null, after: clock },
      now,
    });
    return { ...clock, failures: [] };
  });
}

export async function getTestClock({
  db,
  clockId,
}: {
  db: Database;
  clockId: string;
}): Promise<TestClock> {
  const [clock] = await db.select().from(testClocks).where(eq(testClocks.id, clockId));
  if (!clock) throw notFound("Test clock", clockId);
  return { ...clock, failures: await dueWorkFailures({ db, clockId }) };
}

/**
 * What is failing among a clock's due work: renewals on record as failed (flagged on the subscription,
 * retried after a backoff) and jobs of the clock's queue whose last attempt failed.
 */
export async function dueWorkFailures({
  db,
  clockId,
}: {
  db: Database;
  clockId: string;
}): Promise<DueWorkFailure[]> {
  const renewals = await db.execute<{
    subscription_id: string;
    organization_id: string;
    renewal_attempts: number;
    renewal_error: string | null;
    next_renewal_attempt_at: string | null;
  }>(sql`
    select s.id as subscription_id, s.organization_id, s.renewal_attempts, s.renewal_error,
           s.next_renewal_attempt_at
      from subscriptions s
      join organizations o on o.id = s.organization_id
     where o.test_clock_id = ${clockId} and s.renewal_failed_at is not null
     order by s.id`);
  const jobs = await db.execute<{
    task: string;
    payload: { subscriptionId?: unknown } | null;
    attempts: number;
    last_error: string;
    run_at: string;
  }>(sql`
    select task.identifier as task, job.payload, job.attempts, job.last_error, job.run_at
      from graphile_worker._private_jobs job
      join graphile_worker._private_tasks task on task.id = job.task_id
      join graphile_worker._private_job_queues queue on queue.id = job.job_queue_id
     where queue.queue_name = ${testClockQueue(clockId)} and job.last_error is not null
     order by job.id`);
  return [
    ...renewals.rows.map((row) => ({
      work: "renewal",
      organizationId: row.organization_id,
      subscriptionId: row.subscription_id,
      attempts: row.renewal_attempts,
      error: row.renewal_error ?? "",
      nextAttemptAt: row.next_renewal_attempt_at ? new Date(row.next_renewal_attempt_at) : null,
    })),
    ...jobs.rows.map((row) => ({
      work: row.task,
      organizationId: null,
      subscriptionId:
        typeof row.payload?.subscriptionId === "string" ? row.payload.subscriptionId : null,
      attempts: row.attempts,
      error: row.last_error.split("\n")[0] ?? row.last_error,
      nextAttemptAt: new Date(row.run_at),
    })),
  ];
}

/**
 * Moves a clock forward and runs everything that falls due on the way, with the same scheduler the
 * production cron uses. Returns once no due work is left and every job it caused has finished: work can
 * cause more work (a declined renewal schedules a retry), so the scheduler runs again until a pass finds
 * nothing. Work that fails is not run again and again: a renewal that fails for good is recorded and
 * waits for its backoff, and a pass whose jobs failed ends the advance. Either way the clock answers
 * `failed` with the failures instead of `ready`, and may be advanced again.
 */
export async function advanceTestClock({
  db,
  clockId,
  frozenTime,
  tasks,
  logger,
  actor,
  now,
  maxPasses = 1000,
  timeoutMs = 120_000,
}: {
  db: Database;
  clockId: string;
  frozenTime: Date;
  /** Who advanced it, for the audit trail; `now` is the system time of the request. */
  actor: string;
  now: Date;
  tasks: readonly ScheduledTask[];
  logger: Logger;
  maxPasses?: number;
  timeoutMs?: number;
}): Promise<TestClock> {
  const current = await getTestClock({ db, clockId });
  if (frozenTime.getTime() <= current.frozenTime.getTime()) {
    throw validationError(
      `frozenTime must be later than the clock's current time (${current.frozenTime.toISOString()}); test clocks only move forward.`,
      { frozenTime: current.frozenTime.toISOString() },
    );
  }
  const claimed = await db
    .update(testClocks)
    .set({ frozenTime, status: "advancing" })
    .where(
      and(
        eq(testClocks.id, clockId),
        inArray(testClocks.status, ["ready", "failed"]),
        sql`${testClocks.frozenTime} < ${frozenTime.toISOString()}::timestamptz`,
      ),
    )
    .returning({ id: testClocks.id });
  if (claimed.length === 0) {
    throw invalidState(
      "The clock is being advanced by another request, or has moved past that time; read it and try again.",
    );
  }
  await recordAudit({
    executor: db,
    entry: {
      action: "test_clock.advanced",
      actor,
      organizationId: null,
      before: { id: clockId, frozenTime: current.frozenTime },
      after: { id: clockId, frozenTime },
    },
    now,
  });
  const deadline = Date.now() + timeoutMs;
  let failures: DueWorkFailure[] = [];
  try {
    for (let pass = 0; pass < maxPasses; pass++) {
      const enqueued = await runScheduler({
        tasks,
        db,
        now: frozenTime,
        scope: { testClockId: clockId },
        logger,
      });
      await waitForJobs({ db, queueName: testClockQueue(clockId), deadline });
      if (enqueued === 0) break;
      // A failed job waits for its retry; another pass would enqueue it again at once.
      const failedJobs = (await dueWorkFailures({ db, clockId })).filter(
        (failure) => failure.work !== "renewal",
      );
      if (failedJobs.length > 0) break;
    }
    failures = await dueWorkFailures({ db, clockId });
  } finally {
    await db
      .update(testClocks)
      .set({ status: failures.length > 0 ? "failed" : "ready" })
      .where(eq(testClocks.id, clockId));
  }
  return getTestClock({ db, clockId });
}
