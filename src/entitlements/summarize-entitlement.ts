import { and, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { entitlementGrants, usageCounters } from "../db/schema/index.ts";
import { toNumber } from "../money/index.ts";
import type { EntitlementStatus } from "./compute-effective-entitlement.ts";
import { describeFeatureUse } from "./describe-feature-use.ts";
import { counterPeriodStart, type LoadedEntitlement } from "./load-entitlement.ts";

/** `GET /v1/organizations/:orgId/entitlement` (docs/entitlements.md): counts leave as integers. */
export interface EntitlementSummary {
  organizationId: string;
  planId: string;
  status: EntitlementStatus;
  trialEndsAt: Date | null;
  organizationStatus: "active" | "suspended" | "deleted";
  features: Record<string, boolean>;
  limits: Record<string, number | null>;
  usage: Record<string, number>;
  balances: Record<
    string,
    { included: number | null; purchased: number; used: number; remaining: number | null }
  >;
}

const count = (value: bigint | null) => (value === null ? null : toNumber(value));

type CounterRow = typeof usageCounters.$inferSelect;

/**
 * The effective entitlement as the API shows it: boolean features, limits (0 when denied), usage of this
 * period (limit features: the live count) and, for metered features, included/purchased/used/remaining.
 */
export async function summarizeEntitlement({
  executor,
  entitlement,
  now,
}: {
  executor: Executor;
  entitlement: LoadedEntitlement;
  now: Date;
}): Promise<EntitlementSummary> {
  const organizationId = entitlement.organizationId;
  const period = entitlement.meteredPeriod;
  const counters = await executor
    .select()
    .from(usageCounters)
    .where(
      and(
        eq(usageCounters.organizationId, organizationId),
        inArray(usageCounters.periodStart, [new Date(0), period.start]),
      ),
    );
  const grants = await executor
    .select({
      featureKey: entitlementGrants.featureKey,
      remaining: sql<string>`sum(${entitlementGrants.remaining})::text`,
    })
    .from(entitlementGrants)
    .where(
      and(
        eq(entitlementGrants.organizationId, organizationId),
        or(isNull(entitlementGrants.expiresAt), gt(entitlementGrants.expiresAt, now)),
      ),
    )
    .groupBy(entitlementGrants.featureKey);
  return summarizeLoadedEntitlement({ entitlement, counters, grants });
}

/**
 * `summarizeEntitlement` for many organizations in two queries (their counters and their unexpired
 * grants), each organization's summarized by the same `summarizeLoadedEntitlement`.
 */
export async function summarizeEntitlements({
  executor,
  loaded,
}: {
  executor: Executor;
  loaded: readonly { entitlement: LoadedEntitlement; now: Date }[];
}): Promise<Map<string, EntitlementSummary>> {
  const result = new Map<string, EntitlementSummary>();
  if (loaded.length === 0) return result;
  const ids = loaded.map((entry) => entry.entitlement.organizationId);
  const starts = new Map(
    [new Date(0), ...loaded.map((entry) => entry.entitlement.meteredPeriod.start)].map((date) => [
      date.getTime(),
      date,
    ]),
  );
  const counters = await executor
    .select()
    .from(usageCounters)
    .where(
      and(
        inArray(usageCounters.organizationId, ids),
        inArray(usageCounters.periodStart, [...starts.values()]),
      ),
    );
  const earliest = new Date(Math.min(...loaded.map((entry) => entry.now.getTime())));
  const grants = await executor
    .select({
      organizationId: entitlementGrants.organizationId,
      featureKey: entitlementGrants.featureKey,
      expiresAt: entitlementGrants.expiresAt,
      remaining: sql<string>`sum(${entitlementGrants.remaining})::text`,
    })
    .from(entitlementGrants)
    .where(
      and(
        inArray(entitlementGrants.organizationId, ids),
        or(isNull(entitlementGrants.expiresAt), gt(entitlementGrants.expiresAt, earliest)),
      ),
    )
    .groupBy(
      entitlementGrants.organizationId,
      entitlementGrants.featureKey,
      entitlementGrants.expiresAt,
    );
  const countersOf = new Map<string, CounterRow[]>();
  for (const row of counters) {
    const list = countersOf.get(row.organizationId);
    if (list) list.push(row);
    else countersOf.set(row.organizationId, [row]);
  }
  const grantsOf = new Map<string, typeof grants>();
  for (const row of grants) {
    const list = grantsOf.get(row.organizationId);
    if (list) list.push(row);
    else grantsOf.set(row.organizationId, [row]);
  }
  for (const { entitlement, now } of loaded) {
    const organizationId = entitlement.organizationId;
    const periodStarts = [0, entitlement.meteredPeriod.start.getTime()];
    // Unexpired at this organization's own "now", summed per feature as the single query does.
    const remaining = new Map<string, bigint>();
    for (const grant of grantsOf.get(organizationId) ?? []) {
      if (grant.expiresAt !== null && grant.expiresAt <= now) continue;
      remaining.set(
        grant.featureKey,
        (remaining.get(grant.featureKey) ?? 0n) + BigInt(grant.remaining),
      );
    }
    result.set(
      organizationId,
      summarizeLoadedEntitlement({
        entitlement,
        counters: (countersOf.get(organizationId) ?? []).filter((row) =>
          periodStarts.includes(row.periodStart.getTime()),
        ),
        grants: [...remaining].map(([featureKey, sum]) => ({
          featureKey,
          remaining: sum.toString(),
        })),
      }),
    );
  }
  return result;
}

/** The one summary of a loaded entitlement, from its counters and its unexpired grants' sums per feature. */
export function summarizeLoadedEntitlement({
  entitlement,
  counters,
  grants,
}: {
  entitlement: LoadedEntitlement;
  counters: readonly CounterRow[];
  grants: readonly { featureKey: string; remaining: string }[];
}): EntitlementSummary {
  const organizationId = entitlement.organizationId;
  const period = entitlement.meteredPeriod;
  const summary: EntitlementSummary = {
    organizationId,
    planId: entitlement.effective.planId,
    status: entitlement.effective.status,
    trialEndsAt: entitlement.trialEndsAt,
    organizationStatus: entitlement.organizationStatus,
    features: {},
    limits: {},
    usage: {},
    balances: {},
  };
  for (const [key, feature] of entitlement.effective.features) {
    if (feature.kind === "boolean") {
      summary.features[key] = feature.enabled && feature.denial === null;
      continue;
    }
    const periodStart = counterPeriodStart({ kind: feature.kind, meteredPeriod: period });
    const row = counters.find(
      (counter) =>
        counter.featureKey === key && counter.periodStart.getTime() === periodStart.getTime(),
    );
    const purchased = BigInt(grants.find((grant) => grant.featureKey === key)?.remaining ?? "0");
    const use = describeFeatureUse({
      feature,
      counter: {
        used: row?.used ?? 0n,
        usedPurchased: row?.usedPurchased ?? 0n,
        overage: row?.overage ?? 0n,
      },
      purchased,
    });
    const limit = feature.enabled && feature.denial === null ? count(feature.limit) : 0;
    summary.limits[key] = limit;
    summary.usage[key] = toNumber(use.used);
    if (feature.kind === "metered") {
      summary.balances[key] = {
        included: limit,
        purchased: toNumber(purchased),
        used: toNumber(use.used),
        remaining: count(use.remaining),
      };
    }
  }
  return summary;
}
