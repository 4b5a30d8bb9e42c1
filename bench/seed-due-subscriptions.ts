import { sql } from "drizzle-orm";
import type { Database } from "../src/db/database.ts";

/**
 * Seeds `count` organizations, each with a sandbox card and a monthly subscription to `planId` whose
 * period ends at `dueAt`: the state a billing run finds on the 1st of the month. Set-based SQL, so 100k
 * rows take seconds. Used by the renewal benchmark and the crash test.
 */
export async function seedDueSubscriptions({
  db,
  count,
  planId,
  periodStart,
  dueAt,
  prefix = "bench",
  triggers = true,
}: {
  db: Database;
  count: number;
  planId: string;
  periodStart: Date;
  dueAt: Date;
  prefix?: string;
  /**
   * false: write the rows without their triggers, as a data generator (the entitlement events of
   * organizations created long ago, which the worker would have published then). With them, the
   * deferred per-row triggers make the commit of 10k organizations take minutes.
   */
  triggers?: boolean;
}): Promise<void> {
  const start = periodStart.toISOString();
  const due = dueAt.toISOString();
  await db.transaction(async (tx) => {
    if (!triggers) await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(sql`
      insert into organizations (id, name, currency, billing_anchor, locale, status, identity_group,
                                 provisioning_status, provisioning_started_at, created_at, updated_at)
      select ${prefix} || '-' || g, 'Organization ' || g, 'USD', 'anniversary', 'en', 'active',
             ${prefix} || '-group-' || g, 'active', ${start}::timestamptz, ${start}::timestamptz, ${start}::timestamptz
        from generate_series(1, ${count}) g`);
    await tx.execute(sql`
      insert into payment_methods (id, organization_id, provider, token, is_default, created_at)
      select 'pm_' || ${prefix} || '_' || g, ${prefix} || '-' || g, 'sandbox', 'pm_sandbox_ok', true, ${start}::timestamptz
        from generate_series(1, ${count}) g`);
    await tx.execute(sql`
      insert into organization_entitlements (organization_id, plan_id, plan_version, status, source, updated_at)
      select ${prefix} || '-' || g, ${planId}, 1, 'active', 'subscription', ${start}::timestamptz
        from generate_series(1, ${count}) g`);
    await tx.execute(sql`
      insert into subscriptions (id, organization_id, plan_id, plan_version, interval, currency, status,
                                 anchor_at, current_period_start, current_period_end, created_at, updated_at)
      select 'sub_' || ${prefix} || '_' || g, ${prefix} || '-' || g, ${planId}, 1, 'month', 'USD', 'active',
             ${start}::timestamptz, ${start}::timestamptz, ${due}::timestamptz, ${start}::timestamptz, ${start}::timestamptz
        from generate_series(1, ${count}) g`);
  });
  // As autovacuum would soon after such an insert: give the planner real statistics.
  await db.execute(
    sql`analyze organizations, payment_methods, organization_entitlements, subscriptions`,
  );
}
