import type { Executor } from "../db/database.ts";
import type { FeatureEntitlement } from "../entitlements/compute-effective-entitlement.ts";
import { type NewEvent, publishEvents } from "./publish-event.ts";

/** Percentages of a limit that publish `usage.threshold_reached` unless the feature sets its own. */
export const defaultUsageThresholds: readonly number[] = [80, 100];

/**
 * The thresholds a change of usage from `before` to `after` rises through: each percentage `t` whose
 * mark, the smallest whole count at or above `t` % of the limit, lies in (before, after]. A feature with
 * no limit (or a limit of 0) has none.
 */
export function thresholdsCrossed({
  before,
  after,
  limit,
  thresholds,
}: {
  before: bigint;
  after: bigint;
  limit: bigint | null;
  thresholds: readonly number[];
}): number[] {
  if (limit === null || limit <= 0n || after <= before) return [];
  return [...new Set(thresholds)]
    .sort((a, b) => a - b)
    .filter((percent) => {
      const mark = (limit * BigInt(percent) + 99n) / 100n;
      return before < mark && mark <= after;
    });
}

/** One counter's change of usage, as recorded in the caller's transaction. */
export interface UsageChange {
  organizationId: string;
  featureKey: string;
  feature: FeatureEntitlement;
  before: bigint;
  after: bigint;
  /** The counter's period (metered features); limit features have one live counter. */
  periodStart: Date;
  now: Date;
}

/**
 * Publishes `usage.threshold_reached` for every threshold the changes rise through, in the transaction
 * that records the usage (the counter row is locked there, so each crossing is seen once).
 */
export async function publishUsageThresholds({
  executor,
  changes,
}: {
  executor: Executor;
  changes: readonly UsageChange[];
}): Promise<void> {
  const events: NewEvent[] = [];
  for (const change of changes) {
    const { feature } = change;
    if (feature.kind === "boolean") continue;
    for (const threshold of thresholdsCrossed({
      before: change.before,
      after: change.after,
      limit: feature.limit,
      thresholds: feature.usageThresholds ?? defaultUsageThresholds,
    })) {
      events.push({
        type: "usage.threshold_reached",
        organizationId: change.organizationId,
        data: {
          feature: change.featureKey,
          kind: feature.kind,
          threshold,
          used: change.after,
          limit: feature.limit ?? 0n,
          periodStart: feature.kind === "metered" ? change.periodStart : null,
        },
        now: change.now,
      });
    }
  }
  await publishEvents({ executor, events });
}
