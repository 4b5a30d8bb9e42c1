import { sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import type { ScheduledTask } from "../jobs/scheduler.ts";

/**
 * `usage_events` is partitioned by calendar month (UTC) of `recorded_at`, one partition per month named
 * `usage_events_YYYY_MM` (docs/data-growth.md "Usage events"). There is no DEFAULT partition: a month's
 * partition is created ahead by the scheduler (`usagePartitionsTask`, the current month and the next
 * three), and on demand by the write path when an insert finds none (`withUsagePartition`), so an event is
 * never refused or lost for want of a partition, and no default partition ever holds rows that would block
 * creating its month's partition.
 */

/** How many months after the current one always have their partition. */
export const usagePartitionMonthsAhead = 3;

/** The first instant (UTC) of the month holding `at`. */
export function monthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

/** The first instant of the month `months` after the one starting at `month` (negative: before). */
export function addMonths(month: Date, months: number): Date {
  return new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + months, 1));
}

/** `usage_events_2026_12` for any instant of December 2026 (UTC). */
export function usagePartitionName(at: Date): string {
  return `usage_events_${at.getUTCFullYear()}_${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The months whose partitions must exist at `now`: the current one and `usagePartitionMonthsAhead` more. */
export function monthsAhead(now: Date): Date[] {
  const first = monthStart(now);
  return Array.from({ length: usagePartitionMonthsAhead + 1 }, (_, index) =>
    addMonths(first, index),
  );
}

export interface UsagePartition {
  name: string;
  /** Inclusive lower bound of `recorded_at`. */
  from: Date;
  /** Exclusive upper bound. */
  to: Date;
  /** Estimated rows (`pg_class.reltuples`; -1 before the first analyze). */
  estimatedRows: number;
}

const boundPattern = String.raw`FROM \('([^']+)'\) TO \('([^']+)'\)`;

/** The partitions of `usage_events`, oldest first, with their bounds read from the catalog. */
export async function listUsagePartitions(executor: Executor): Promise<UsagePartition[]> {
  // The bound reads FOR VALUES FROM ('2026-12-01 00:00:00+00') TO (…), in the session's time zone:
  // cast back to timestamptz in the same session, it is the exact instant.
  const { rows } = await executor.execute<{
    name: string;
    from_ms: string | null;
    to_ms: string | null;
    estimated_rows: number;
  }>(sql`
    select p.name,
           (extract(epoch from p.bounds[1]::timestamptz) * 1000)::bigint::text as from_ms,
           (extract(epoch from p.bounds[2]::timestamptz) * 1000)::bigint::text as to_ms,
           p.estimated_rows
      from (select c.relname as name, c.reltuples::float8 as estimated_rows,
                   regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                ${boundPattern}) as bounds
              from pg_inherits i
              join pg_class c on c.oid = i.inhrelid
             where i.inhparent = 'public.usage_events'::regclass) p
     order by p.bounds[1]::timestamptz nulls first`);
  return rows.flatMap((row) =>
    row.from_ms === null || row.to_ms === null
      ? []
      : [
          {
            name: row.name,
            from: new Date(Number(row.from_ms)),
            to: new Date(Number(row.to_ms)),
            estimatedRows: Number(row.estimated_rows),
          },
        ],
  );
}

/**
 * Creates the partitions of the months holding `months` that are missing, and says which it created. Safe
 * to run from several processes at once: `abono_ensure_usage_partition` (a function owned by the tables'
 * owner, so the service's restricted role may call it) serializes creations under an advisory lock and
 * skips a partition that exists. A partition is created empty and attached, which does not block the
 * inserts and reads of other months.
 */
export async function ensureUsagePartitions({
  executor,
  months,
}: {
  executor: Executor;
  months: readonly Date[];
}): Promise<string[]> {
  const wanted = [...new Map(months.map((at) => [usagePartitionName(at), monthStart(at)]))];
  if (wanted.length === 0) return [];
  const { rows } = await executor.execute<{ name: string }>(sql`
    select c.relname as name
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'public.usage_events'::regclass
       and c.relname = any(${sql.param(wanted.map(([name]) => name))}::text[])`);
  const existing = new Set(rows.map((row) => row.name));
  const created: string[] = [];
  for (const [name, month] of wanted) {
    if (existing.has(name)) continue;
    const result = await executor.execute<{ created: boolean }>(
      sql`select abono_ensure_usage_partition(${month.toISOString()}::timestamptz) as created`,
    );
    if (result.rows[0]?.created) created.push(name);
  }
  return created;
}

/** PostgreSQL's refusal of a row no partition of a partitioned table accepts. */
export function isMissingPartition(error: unknown): boolean {
  for (let current = error; current; current = (current as { cause?: unknown }).cause) {
    const { code, message } = current as { code?: string; message?: string };
    if (code === "23514" && /no partition of relation/.test(message ?? "")) return true;
    if ((current as { cause?: unknown }).cause === current) break;
  }
  return false;
}

/**
 * Runs `write` (a whole transaction that inserts usage events recorded at `recordedAt`); when it fails
 * because the month has no partition yet (a clock far ahead, a scheduler that has not run), creates the
 * partition and runs it once more. The failed transaction left nothing behind, so the retry is the
 * first attempt again.
 */
export async function withUsagePartition<T>({
  executor,
  recordedAt,
  write,
}: {
  executor: Executor;
  recordedAt: Date;
  write: () => Promise<T>;
}): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isMissingPartition(error)) throw error;
    await ensureUsagePartitions({ executor, months: [recordedAt] });
    return write();
  }
}

/**
 * Keeps the partitions of the current month and the next three in place, on the system clock (events are
 * partitioned by their recording time, which test clocks do not move). Cheap when they exist: one
 * catalog query a tick.
 */
export const usagePartitionsTask: ScheduledTask = {
  name: "usage.partitions",
  async run({ db, now, scope, logger }) {
    if (scope.testClockId !== null) return 0;
    const created = await ensureUsagePartitions({ executor: db, months: monthsAhead(now) });
    if (created.length > 0) logger.info({ partitions: created }, "usage event partitions created");
    return 0;
  },
};
