import type { FeatureValues } from "../catalog/catalog-types.ts";
import type { EntitlementStatus } from "../entitlements/compute-effective-entitlement.ts";
import type { OrganizationStatus } from "../organizations/organizations.ts";
import { addDays } from "../time/index.ts";

export const entitlementStatuses = ["trialing", "active", "past_due", "canceled"] as const;
export const rootOrganizationStatuses = ["active", "suspended", "deleted"] as const;

/** What root asked for (`POST /v1/root/organizations/:orgId/plan`); every field is optional. */
export interface RootPlanRequest {
  planId?: string | undefined;
  entitlementStatus?: EntitlementStatus | undefined;
  organizationStatus?: OrganizationStatus | undefined;
}

/** The stored entitlement of an organization (`organization_entitlements`). */
export interface EntitlementState {
  planId: string;
  planVersion: number | null;
  status: EntitlementStatus;
  trialEndsAt: Date | null;
  graceEndsAt: Date | null;
  source: "free" | "subscription" | "manual" | "store";
  manualFeatures: FeatureValues | null;
}

export interface RootPlanChange {
  /** The entitlement to write; null when neither `planId` nor `entitlementStatus` was sent (untouched). */
  entitlement: EntitlementState | null;
  /** The organization status to write; null when `organizationStatus` was not sent. */
  organizationStatus: OrganizationStatus | null;
  /** Whether the requested plan is in the catalog; null when no plan was requested. */
  planCatalogFound: boolean | null;
  warnings: string[];
}

/**
 * Root's manual override of an organization's plan and statuses, computed without I/O (docs/root-and-audit.md
 * "Root override"). Usage is never part of it (counters are not touched). Limits are preserved: a plan in
 * the catalog brings its own catalog values (limits are normalized by plan), root's per-feature overrides
 * stay as they are, and a plan the catalog does not have keeps the previous plan's values in force
 * (`manualFeatures`) instead of denying everything.
 */
export function computeRootPlanChange({
  request,
  current,
  catalogPlan,
  previousPlanFeatures,
  liveSubscription,
  freePlanId,
  pastDueGraceDays,
  now,
}: {
  request: RootPlanRequest;
  /** The stored entitlement; null if the organization has none yet. */
  current: EntitlementState | null;
  /** The requested plan as the catalog has it; null when it is not there (or no plan was requested). */
  catalogPlan: { id: string; currentVersion: number } | null;
  /** The feature values in force for the current plan (its catalog version, or its manual snapshot). */
  previousPlanFeatures: FeatureValues | null;
  liveSubscription: { id: string; planId: string } | null;
  freePlanId: string;
  pastDueGraceDays: number;
  now: Date;
}): RootPlanChange {
  const warnings: string[] = [];
  const touchesEntitlement =
    request.planId !== undefined || request.entitlementStatus !== undefined;
  if (!touchesEntitlement && request.organizationStatus === undefined) {
    warnings.push(
      "Nothing was changed: send planId, entitlementStatus or organizationStatus. The request is audited all the same.",
    );
  }
  if (!touchesEntitlement) {
    return {
      entitlement: null,
      organizationStatus: request.organizationStatus ?? null,
      planCatalogFound: null,
      warnings,
    };
  }

  const base: EntitlementState = current ?? {
    planId: freePlanId,
    planVersion: null,
    status: "canceled",
    trialEndsAt: null,
    graceEndsAt: null,
    source: "free",
    manualFeatures: null,
  };
  let planId = base.planId;
  let planVersion = base.planVersion;
  let manualFeatures = base.manualFeatures;
  let planCatalogFound: boolean | null = null;
  if (request.planId !== undefined) {
    planId = request.planId;
    if (catalogPlan !== null) {
      planCatalogFound = true;
      planVersion = catalogPlan.currentVersion;
      manualFeatures = null;
    } else {
      planCatalogFound = false;
      planVersion = null;
      manualFeatures = previousPlanFeatures ?? {};
      warnings.push(
        previousPlanFeatures === null
          ? `Plan "${request.planId}" is not in the catalog: applied as a manual override. The previous plan "${base.planId}" had no known feature values either, so every feature is denied until the plan is defined in the catalog or features are overridden one by one.`
          : `Plan "${request.planId}" is not in the catalog: applied as a manual override. The previous plan's ("${base.planId}") feature values and limits stay in force; define plan "${request.planId}" in the catalog to give it its own.`,
      );
    }
  }
  const status = request.entitlementStatus ?? base.status;
  const graceEndsAt =
    status !== "past_due"
      ? null
      : base.status === "past_due"
        ? base.graceEndsAt
        : addDays({ date: now, days: pastDueGraceDays });
  if (status === "trialing" && base.trialEndsAt === null) {
    warnings.push(
      "The entitlement is trialing with no trial end date: the trial does not end by itself.",
    );
  }
  if (liveSubscription !== null) {
    warnings.push(
      `The subscription ${liveSubscription.id} (plan "${liveSubscription.planId}") is not changed and keeps billing; its next renewal or plan change sets the entitlement from it again. Cancel or change the subscription to make this permanent.`,
    );
  }
  return {
    entitlement: {
      planId,
      planVersion,
      status,
      trialEndsAt: base.trialEndsAt,
      graceEndsAt,
      source: "manual",
      manualFeatures,
    },
    organizationStatus: request.organizationStatus ?? null,
    planCatalogFound,
    warnings,
  };
}
