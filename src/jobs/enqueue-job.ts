import { sql } from "drizzle-orm";
import type { z } from "zod";
import type { Executor } from "../db/database.ts";
import type { JobDefinition } from "./job.ts";

export interface EnqueueOptions {
  runAt?: Date;
  /** Deduplicates: a second job with the same key replaces the pending one instead of adding another. */
  jobKey?: string;
  maxAttempts?: number;
  queueName?: string;
}

/**
 * Adds a job with `graphile_worker.add_job()` through the given executor. Called with a transaction, the
 * job exists only if that transaction commits: this is the outbox.
 */
export async function enqueueJob<Payload extends z.ZodType>(
  executor: Executor,
  job: JobDefinition<Payload>,
  payload: z.input<Payload>,
  options: EnqueueOptions = {},
): Promise<void> {
  const parsed = job.payload.parse(payload);
  await executor.execute(sql`
    select graphile_worker.add_job(
      identifier => ${job.name},
      payload => ${JSON.stringify(parsed)}::json,
      queue_name => ${options.queueName ?? null},
      run_at => ${options.runAt?.toISOString() ?? null}::timestamptz,
      max_attempts => ${options.maxAttempts ?? job.maxAttempts ?? null}::int,
      job_key => ${options.jobKey ?? null}
    )`);
}
