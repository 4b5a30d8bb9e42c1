import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import { testClocks } from "../db/schema/index.ts";
import { invalidState, notFound, validationError } from "../errors.ts";
import { newId } from "../ids.ts";
import { runScheduler, type ScheduledTask, testClockQueue } from "../jobs/scheduler.ts";
import { waitForJobs } from "../jobs/wait-for-jobs.ts";
import type { Logger } from "../logger.ts";

export type TestClock = typeof testClocks.$inferSelect;

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
    return clock;
  });
}

export async function getTestClock({ db, clockId }: { db: Database; clockId: string }) {
  const [clock] = await db.select().from(testClocks).where(eq(testClocks.id, clockId));
  if (!clock) throw notFound("Test clock", clockId);
  return clock;
}

/**
 * Moves a clock forward and runs everything that falls due on the way, with the same scheduler the
 * production cron uses. Returns once no due work is left and every job it caused has finished: work can
 * cause more work (a failed renewal schedules a retry), so the scheduler runs again until a pass finds
 * nothing.
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
        eq(testClocks.status, "ready"),
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
    }
  } finally {
    await db.update(testClocks).set({ status: "ready" }).where(eq(testClocks.id, clockId));
  }
  return getTestClock({ db, clockId });
}
