import { sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import type { ScheduledTask } from "../jobs/scheduler.ts";
import type { Logger } from "../logger.ts";
import {
  addMonths,
  listUsagePartitions,
  monthStart,
  type UsagePartition,
} from "./usage-partitions.ts";

/**
 * Retention of usage events (`ABONO_USAGE_RETENTION_MONTHS`, docs/data-growth.md "Usage events"): whole
 * monthly partitions are dropped, never rows one by one. Invoices read the usage counters
 * (`usage_counters.overage` − `overage_billed`), not the events, so dropping events never changes an
 * amount; still, a partition is dropped only when no billing period that could have counted its events is
 * open, so the raw events behind every un-invoiced period stay inspectable.
 */

/** The partitions that may be dropped at `now`, oldest first. */
export function expiredUsagePartitions({
  partitions,
  now,
  retentionMonths,
  openSince,
}: {
  partitions: readonly UsagePartition[];
  now: Date;
  /** Whole months kept before the current one. */
  retentionMonths: number;
  /** The earliest instant an un-invoiced billing period started (null: none is open). */
  openSince: Date | null;
}): UsagePartition[] {
  const keptFrom = addMonths(monthStart(now), -retentionMonths);
  const bound =
    openSince !== null && openSince.getTime() < keptFrom.getTime() ? openSince : keptFrom;
  return partitions.filter((partition) => partition.to.getTime() <= bound.getTime());
}

/**
 * The earliest start of a billing period not invoiced yet, in any organization: the current period of
 * every live subscription (its usage is billed in arrears, at its end), the period of any counter with
 * overage no invoice has carried, and for organizations on a test clock the clock's creation (their events
 * are recorded on the system clock while their periods follow the test clock).
 */
export async function oldestOpenPeriodStart(executor: Executor): Promise<Date | null> {
  const { rows } = await executor.execute<{ since: string | null }>(sql`
    select (extract(epoch from least(
             (select min(s.current_period_start) from subscriptions s
               where s.status in ('incomplete', 'trialing', 'active', 'past_due')),
             (select min(c.created_at) from subscriptions s
                join organizations o on o.id = s.organization_id
                join test_clocks c on c.id = o.test_clock_id
               where s.status in ('incomplete', 'trialing', 'active', 'past_due')),
             (select min(u.period_start) from usage_counters u where u.overage > u.overage_billed)
           )) * 1000)::bigint::text as since`);
  const since = rows[0]?.since;
  return since === null || since === undefined ? null : new Date(Number(since));
}

export interface DroppedPartition {
  name: string;
  from: Date;
  to: Date;
  /** Events dropped with it (and as many event ids forgotten). */
  events: number;
}

/**
 * Drops the partitions of usage events past the retention that no open billing period overlaps, each with
 * the dedup entries of its events, in one transaction per partition, and records each drop in the audit
 * trail. Safe to run from several processes at once (a partition already dropped is skipped).
 */
export async function dropExpiredUsagePartitions({
  db,
  now,
  retentionMonths,
  logger,
}: {
  db: Database;
  now: Date;
  retentionMonths: number;
  logger: Logger;
}): Promise<DroppedPartition[]> {
  const partitions = await listUsagePartitions(db);
  // Cheap first look: nothing past the retention, nothing to check against billing periods.
  if (expiredUsagePartitions({ partitions, now, retentionMonths, openSince: null }).length === 0) {
    return [];
  }
  const openSince = await oldestOpenPeriodStart(db);
  const expired = expiredUsagePartitions({ partitions, now, retentionMonths, openSince });
  const dropped: DroppedPartition[] = [];
  for (const partition of expired) {
    const result = await db.transaction(async (tx) => {
      // The same partition dropped meanwhile by another process: nothing left to do.
      const { rows } = await tx.execute<{ present: boolean }>(
        sql`select to_regclass(${`public.${partition.name}`}) is not null as present`,
      );
      if (!rows[0]?.present) return null;
      const from = partition.from.toISOString();
      const to = partition.to.toISOString();
      // The dedup entries of exactly the events dropped: each event has one, written with it, so their
      // count is the partition's.
      const ids = await tx.execute(sql`
        delete from usage_event_ids d
         using usage_events e
         where e.recorded_at >= ${from}::timestamptz and e.recorded_at < ${to}::timestamptz
           and d.organization_id = e.organization_id and d.event_id = e.event_id`);
      // Dropping a partition briefly locks usage_events: give up rather than queue writers behind it.
      await tx.execute(sql`set local lock_timeout = '5s'`);
      await tx.execute(sql`select abono_drop_usage_partition(${partition.name})`);
      const entry: DroppedPartition = {
        name: partition.name,
        from: partition.from,
        to: partition.to,
        events: ids.rowCount ?? 0,
      };
      await recordAudit({
        executor: tx,
        entry: {
          action: "usage.partition_dropped",
          actor: "system:usage_retention",
          organizationId: null,
          before: entry,
          metadata: { retentionMonths, openSince: openSince?.toISOString() ?? null },
        },
        now,
      });
      return entry;
    });
    if (result) {
      dropped.push(result);
      logger.info(
        { partition: result.name, events: result.events },
        "usage event partition dropped (retention)",
      );
    }
  }
  return dropped;
}

/**
 * Drops usage-event partitions past `ABONO_USAGE_RETENTION_MONTHS` (unset: never) on the system clock, on
 * the tick at the top of each hour: one catalog query, and billing periods are read only when a partition
 * is past the retention (while an open period holds it, that read repeats hourly, not every minute).
 */
export const usageRetentionTask: ScheduledTask = {
  name: "usage.retention",
  async run({ db, now, scope, logger, config }) {
    if (scope.testClockId !== null || now.getUTCMinutes() !== 0) return 0;
    const retentionMonths = config?.usageRetentionMonths ?? null;
    if (retentionMonths === null) return 0;
    await dropExpiredUsagePartitions({ db, now, retentionMonths, logger });
    return 0;
  },
};
