import type { DenialReason, FeatureEntitlement } from "./compute-effective-entitlement.ts";

export interface CounterState {
  used: bigint;
  usedPurchased: bigint;
  overage: bigint;
}

export interface FeatureUse {
  allowed: boolean;
  limit: bigint | null;
  used: bigint;
  /** null when unlimited (or for boolean features). */
  remaining: bigint | null;
  /** Metered features: the period's allowance still unused, and purchased units left. */
  includedRemaining: bigint | null;
  purchased: bigint;
  reason: DenialReason | null;
}

/**
 * How much of a feature is left. Limit features: `limit − used`. Metered: the period's allowance not yet
 * used plus purchased units; past both, allowed only when the plan prices overage.
 */
export function describeFeatureUse({
  feature,
  counter,
  purchased,
}: {
  feature: FeatureEntitlement;
  counter: CounterState;
  purchased: bigint;
}): FeatureUse {
  const used = counter.used;
  const base = { limit: feature.limit, used, purchased };
  if (feature.denial !== null) {
    return {
      ...base,
      allowed: false,
      remaining: 0n,
      includedRemaining: 0n,
      reason: feature.denial,
    };
  }
  if (feature.kind === "boolean") {
    return {
      ...base,
      allowed: true,
      limit: null,
      remaining: null,
      includedRemaining: null,
      reason: null,
    };
  }
  if (feature.limit === null) {
    return { ...base, allowed: true, remaining: null, includedRemaining: null, reason: null };
  }
  if (feature.kind === "limit") {
    const remaining = feature.limit > used ? feature.limit - used : 0n;
    return {
      ...base,
      allowed: remaining > 0n,
      remaining,
      includedRemaining: remaining,
      reason: remaining > 0n ? null : "limit_reached",
    };
  }
  const includedUsed = used - counter.usedPurchased - counter.overage;
  const includedRemaining = feature.limit > includedUsed ? feature.limit - includedUsed : 0n;
  const remaining = includedRemaining + purchased;
  const allowed = remaining > 0n || feature.overagePrice !== null;
  return {
    ...base,
    allowed,
    remaining,
    includedRemaining,
    reason: allowed ? null : "limit_reached",
  };
}
