/** The parts of an entitlement (`GET /v1/organizations/{orgId}/entitlement`) a feature's state is read from. */
export interface EntitlementCounts {
  features: Record<string, boolean>;
  limits: Record<string, number | null>;
  usage: Record<string, number>;
  balances: Record<
    string,
    { included: number | null; purchased: number; used: number; remaining: number | null }
  >;
}

/** What an organization may do with one feature, read from its effective entitlement. */
export interface FeatureState {
  /** Entitled now: a flag that is on, or a counted feature with units left (or no limit). */
  allowed: boolean;
  /** Units available this period (included plus purchased), or null when unlimited or not counted. */
  limit: number | null;
  used: number;
  /** Units left, or null when unlimited or not counted. */
  remaining: number | null;
  /** A counted feature without a limit. */
  unlimited: boolean;
  /** Whether the feature is counted (a limit or metered feature) rather than a flag. */
  counted: boolean;
}

/**
 * The state of `feature` in an entitlement summary (`GET /v1/organizations/{orgId}/entitlement`): a balance
 * (metered: included + purchased) first, then a limit, then a flag. An unknown feature is not allowed.
 */
export function featureState(entitlement: EntitlementCounts, feature: string): FeatureState {
  const balance = entitlement.balances[feature];
  if (balance !== undefined) {
    const limit = balance.included === null ? null : balance.included + balance.purchased;
    return {
      allowed: balance.remaining === null || balance.remaining > 0,
      limit,
      used: balance.used,
      remaining: balance.remaining,
      unlimited: limit === null,
      counted: true,
    };
  }
  if (feature in entitlement.limits) {
    const limit = entitlement.limits[feature] ?? null;
    const used = entitlement.usage[feature] ?? 0;
    const remaining = limit === null ? null : Math.max(0, limit - used);
    return {
      allowed: remaining === null || remaining > 0,
      limit,
      used,
      remaining,
      unlimited: limit === null,
      counted: true,
    };
  }
  return {
    allowed: entitlement.features[feature] === true,
    limit: null,
    used: 0,
    remaining: null,
    unlimited: false,
    counted: false,
  };
}

/** A meter's tone: "over" at or past the limit, "near" from `nearRatio` of it (default 80 %). */
export function usageLevel(
  used: number,
  limit: number | null,
  nearRatio = 0.8,
): "unlimited" | "ok" | "near" | "over" {
  if (limit === null) return "unlimited";
  if (used >= limit) return "over";
  return used >= limit * nearRatio ? "near" : "ok";
}
