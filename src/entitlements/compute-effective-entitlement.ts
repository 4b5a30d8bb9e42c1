import type { Feature, FeatureValues } from "../catalog/catalog-types.ts";

export type EntitlementStatus = "trialing" | "active" | "past_due" | "canceled";
export type DenialReason =
  | "not_in_plan"
  | "limit_reached"
  | "organization_inactive"
  | "subscription_inactive";

export interface EntitlementInputs {
  organizationStatus: "active" | "suspended" | "deleted";
  entitlement: {
    planId: string;
    status: EntitlementStatus;
    trialEndsAt: Date | null;
    graceEndsAt: Date | null;
  };
  /** The entitled plan version's values; null when the plan is not in the catalog (a manual override). */
  planFeatures: FeatureValues | null;
  freePlanId: string;
  freePlanFeatures: FeatureValues | null;
  features: ReadonlyMap<string, Feature>;
  addons: readonly { features: FeatureValues; quantity: bigint }[];
  overrides: readonly {
    featureKey: string;
    value: boolean | number | null;
    expiresAt: Date | null;
  }[];
  overagePrices: Readonly<Record<string, { unitAmount: bigint; currency: string }>>;
  now: Date;
}

export interface FeatureEntitlement {
  kind: Feature["kind"];
  /** Boolean features: on or off. Limit and metered: whether the feature is in the plan at all. */
  enabled: boolean;
  /** Limit and metered features: the cap or the period allowance; null = unlimited. */
  limit: bigint | null;
  overagePrice: { unitAmount: bigint; currency: string } | null;
  /** Set when the feature is denied whatever the usage. */
  denial: DenialReason | null;
  /** The catalog's thresholds for `usage.threshold_reached` (null or absent: the defaults). */
  usageThresholds?: readonly number[] | null;
}

export interface EffectiveEntitlement {
  planId: string;
  status: EntitlementStatus;
  /** True when the plan's own values apply; false when access fell back to the free plan or is blocked. */
  subscriptionActive: boolean;
  features: Map<string, FeatureEntitlement>;
}

/**
 * The effective entitlement (docs/entitlements.md): the plan version's values, plus add-ons, then
 * root overrides; gated by status. A suspended or deleted organization gets nothing; a canceled
 * entitlement, a trial past its end (until the trial-end job runs) and a past-due one past its grace
 * period get the free plan's values. A feature the plan does not define is denied, never unlimited.
 */
export function computeEffectiveEntitlement(inputs: EntitlementInputs): EffectiveEntitlement {
  const { entitlement, now } = inputs;
  const organizationInactive = inputs.organizationStatus !== "active";
  const trialOver =
    entitlement.status === "trialing" &&
    entitlement.trialEndsAt !== null &&
    entitlement.trialEndsAt <= now;
  const graceOver =
    entitlement.status === "past_due" &&
    entitlement.graceEndsAt !== null &&
    entitlement.graceEndsAt <= now;
  const subscriptionActive = entitlement.status !== "canceled" && !trialOver && !graceOver;
  const values = subscriptionActive ? (inputs.planFeatures ?? {}) : (inputs.freePlanFeatures ?? {});
  const activeOverrides = new Map(
    inputs.overrides
      .filter((override) => override.expiresAt === null || override.expiresAt > now)
      .map((override) => [override.featureKey, override.value]),
  );

  const features = new Map<string, FeatureEntitlement>();
  for (const feature of inputs.features.values()) {
    const base = values[feature.key];
    let enabled: boolean;
    let limit: bigint | null = null;
    if (feature.kind === "boolean") {
      enabled =
        base === true ||
        (subscriptionActive && inputs.addons.some((addon) => addon.features[feature.key] === true));
    } else {
      enabled = base !== undefined && base !== false;
      limit = typeof base === "number" ? BigInt(base) : null;
      if (enabled && limit !== null && subscriptionActive) {
        for (const addon of inputs.addons) {
          const increment = addon.features[feature.key];
          if (typeof increment === "number") limit += BigInt(increment) * addon.quantity;
        }
      }
    }
    if (activeOverrides.has(feature.key)) {
      const value = activeOverrides.get(feature.key);
      if (feature.kind === "boolean") {
        enabled = value === true;
      } else {
        enabled = value !== false;
        limit = typeof value === "number" ? BigInt(value) : null;
      }
    }
    const denial: DenialReason | null = organizationInactive
      ? "organization_inactive"
      : enabled
        ? null
        : subscriptionActive
          ? "not_in_plan"
          : "subscription_inactive";
    features.set(feature.key, {
      kind: feature.kind,
      enabled,
      limit,
      overagePrice: subscriptionActive ? (inputs.overagePrices[feature.key] ?? null) : null,
      denial,
      usageThresholds: feature.usageThresholds ?? null,
    });
  }
  return {
    planId: subscriptionActive ? entitlement.planId : inputs.freePlanId,
    status: trialOver || graceOver ? "canceled" : entitlement.status,
    subscriptionActive,
    features,
  };
}
