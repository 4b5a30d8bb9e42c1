import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { invalidState } from "../errors.ts";

/**
 * Waits until a queue (or, with `null`, the jobs outside named queues that are due) holds no job that
 * waits for its first attempt or is running. A job that failed and waits for a retry counts as settled.
 */
export async function waitForJobs({
  db,
  queueName,
  deadline,
  pollMs = 25,
}: {
  db: Database;
  queueName: string | null;
  deadline: number;
  pollMs?: number;
}): Promise<void> {
  for (;;) {
    const { rows } = await db.execute<{ pending: number }>(
      queueName === null
        ? sql`select count(*)::int as pending from graphile_worker._private_jobs job
               where job.job_queue_id is null and job.run_at <= now()
                 and (job.attempts = 0 or job.locked_at is not null)`
        : sql`select count(*)::int as pending from graphile_worker._private_jobs job
               join graphile_worker._private_job_queues queue on queue.id = job.job_queue_id
              where queue.queue_name = ${queueName}
                and (job.attempts = 0 or job.locked_at is not null)`,
    );
    if ((rows[0]?.pending ?? 0) === 0) return;
    if (Date.now() > deadline) {
      throw invalidState("Queued jobs did not finish in time; run again to continue.");
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
