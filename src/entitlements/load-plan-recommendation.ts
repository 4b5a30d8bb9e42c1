import { sql } from "drizzle-orm";
import { listPlans } from "../catalog/plans.ts";
import type { Database } from "../db/database.ts";
import { getOrganizationRecord } from "../organizations/organizations.ts";
import { findLiveSubscription } from "../subscriptions/subscription-records.ts";
import { addDays } from "../time/index.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import { type PlanRecommendation, recommendPlan } from "./recommend-plan.ts";

/** How far back usage counts: about three monthly periods. */
const recentDays = 93;

export interface LoadedPlanRecommendation extends PlanRecommendation {
  currentPlanId: string;
  /** The highest count of each feature in the recent periods (limit features: the live count). */
  usage: Record<string, bigint>;
}

/**
 * Reads what a plan recommendation is computed from — the organization's recent usage, its interval and
 * currency, the offered plans — and computes it with `recommendPlan`.
 */
export async function loadPlanRecommendation({
  db,
  cache,
  organizationId,
  systemNow,
}: {
  db: Database;
  cache: EntitlementCache;
  organizationId: string;
  systemNow: Date;
}): Promise<LoadedPlanRecommendation> {
  const organization = await getOrganizationRecord({ db, organizationId });
  const { entitlement, now } = await cache.get({ organizationId, systemNow });
  const since = addDays({ date: now, days: -recentDays });
  const { rows } = await db.execute<{ feature_key: string; used: string }>(sql`
    select feature_key, max(used)::text as used from usage_counters
     where organization_id = ${organizationId}
       and (period_start = to_timestamp(0) or period_start >= ${since.toISOString()}::timestamptz)
     group by feature_key`);
  const usage = Object.fromEntries(rows.map((row) => [row.feature_key, BigInt(row.used)]));
  const subscription = await findLiveSubscription({ executor: db, organizationId });
  const plans = await listPlans({ db, includeArchived: false, limit: 100 });
  const currentPlanId = entitlement.effective.planId;
  const recommendation = recommendPlan({
    plans,
    currentPlanId,
    usage,
    interval: subscription?.interval ?? "month",
    currency:
      organization.currency ?? subscription?.currency ?? plans[0]?.prices[0]?.currency ?? "USD",
  });
  return { currentPlanId, ...recommendation, usage };
}
