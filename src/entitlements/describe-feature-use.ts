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

/** One object shape for every answer: this runs on each check, and spreads of bigints are slow in V8. */
function featureUse(
  allowed: boolean,
  limit: bigint | null,
  used: bigint,
  remaining: bigint | null,
  includedRemaining: bigint | null,
  purchased: bigint,
  reason: DenialReason | null,
): FeatureUse {
  return { allowed, limit, used, remaining, includedRemaining, purchased, reason };
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
  if (feature.denial !== null) {
    return featureUse(false, feature.limit, used, 0n, 0n, purchased, feature.denial);
  }
  if (feature.kind === "boolean") {
    return featureUse(true, null, used, null, null, purchased, null);
  }
  if (feature.limit === null) {
    return featureUse(true, null, used, null, null, purchased, null);
  }
  if (feature.kind === "limit") {
    const remaining = feature.limit > used ? feature.limit - used : 0n;
    const allowed = remaining > 0n;
    return featureUse(
      allowed,
      feature.limit,
      used,
      remaining,
      remaining,
      purchased,
      allowed ? null : "limit_reached",
    );
  }
  const includedUsed = used - counter.usedPurchased - counter.overage;
  const includedRemaining = feature.limit > includedUsed ? feature.limit - includedUsed : 0n;
  const remaining = includedRemaining + purchased;
  const allowed = remaining > 0n || feature.overagePrice !== null;
  return featureUse(
    allowed,
    feature.limit,
    used,
    remaining,
    includedRemaining,
    purchased,
    allowed ? null : "limit_reached",
  );
}
