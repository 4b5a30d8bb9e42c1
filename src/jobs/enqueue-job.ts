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

/**
 * Adds many jobs of one kind with a single `graphile_worker.add_jobs()` call (the scheduler's bulk path).
 * Same transactional guarantee as `enqueueJob`.
 */
export async function enqueueJobs<Payload extends z.ZodType>(
  executor: Executor,
  job: JobDefinition<Payload>,
  entries: readonly { payload: z.input<Payload>; options?: EnqueueOptions }[],
): Promise<void> {
  if (entries.length === 0) return;
  const specs = entries.map(({ payload, options = {} }) => ({
    identifier: job.name,
    payload: job.payload.parse(payload),
    queue_name: options.queueName ?? null,
    run_at: options.runAt?.toISOString() ?? null,
    max_attempts: options.maxAttempts ?? job.maxAttempts ?? null,
    job_key: options.jobKey ?? null,
  }));
  await executor.execute(sql`
    select count(*) from graphile_worker.add_jobs(
      array(
        select json_populate_record(null::graphile_worker.job_spec, spec)
          from json_array_elements(${JSON.stringify(specs)}::json) as spec
      )
    )`);
}
