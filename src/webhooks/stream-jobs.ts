import { sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";

/**
 * Deliveries go out per stream: one endpoint and one organization's events, in sequence order. A stream
 * is worked by the `webhook.deliver` job, one per stream at a time (its job key); these enqueue it.
 */
export const deliverStreamJobName = "webhook.deliver";

export interface StreamRef {
  endpointId: string;
  /** The organization, or `''` for events of none. */
  stream: string;
}

const streamJobKey = ({ endpointId, stream }: StreamRef) => `webhook:${endpointId}:${stream}`;

/**
 * Enqueues the job of each stream, in the caller's transaction, `delayMs` from now by the database's
 * clock (the queue's). `preserveRunAt`: a job already waiting for a later retry keeps its time (new
 * events queue behind a failing one); otherwise the job is moved to the new time.
 */
export async function enqueueStreams({
  executor,
  streams,
  delayMs = 0,
  preserveRunAt,
}: {
  executor: Executor;
  streams: readonly StreamRef[];
  delayMs?: number;
  preserveRunAt: boolean;
}): Promise<void> {
  if (streams.length === 0) return;
  const specs = streams.map((stream) => ({
    identifier: deliverStreamJobName,
    payload: stream,
    job_key: streamJobKey(stream),
    max_attempts: 25,
  }));
  await executor.execute(sql`
    select count(*) from graphile_worker.add_jobs(
      array(
        select json_populate_record(null::graphile_worker.job_spec,
                 (spec::jsonb || jsonb_build_object('run_at', now() + make_interval(secs => ${Math.max(0, delayMs) / 1000})))::json)
          from json_array_elements(${JSON.stringify(specs)}::json) as spec
      ),
      ${preserveRunAt}
    )`);
}

/**
 * Enqueues the streams that have a delivery due and nobody working them: of one endpoint (after it is
 * enabled, or a retry or replay), or of every enabled endpoint (the scheduler's sweep, and each start of
 * the worker, which resumes whatever a stopped or killed worker left).
 */
export async function kickStreams({
  executor,
  endpointId,
  now,
  includeLeased = false,
  limit = 10_000,
}: {
  executor: Executor;
  endpointId?: string;
  /** The system time (deliveries are scheduled by it). */
  now: Date;
  /**
   * Also streams someone holds (a worker's start: a holder that died with the previous process lets go
   * when its lease runs out, and the job waits for that).
   */
  includeLeased?: boolean;
  limit?: number;
}): Promise<number> {
  const { rows } = await executor.execute<{ endpoint_id: string; stream: string }>(sql`
    select distinct d.endpoint_id, d.stream
      from webhook_deliveries d
      join webhook_endpoints e on e.id = d.endpoint_id and e.status = 'enabled'
     where d.status = 'pending'
       and d.next_attempt_at <= ${now.toISOString()}::timestamptz
       ${endpointId === undefined ? sql`` : sql`and d.endpoint_id = ${endpointId}`}
       ${
         includeLeased
           ? sql``
           : sql`and not exists (
         select 1 from webhook_streams s
          where s.endpoint_id = d.endpoint_id and s.stream = d.stream and s.leased_until > ${now.toISOString()}::timestamptz)`
       }
     limit ${limit}`);
  await enqueueStreams({
    executor,
    streams: rows.map((row) => ({ endpointId: row.endpoint_id, stream: row.stream })),
    preserveRunAt: true,
  });
  return rows.length;
}
