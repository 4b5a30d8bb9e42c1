import { eq } from "drizzle-orm";
import { currentRequestId } from "../audit/audit-context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import type { FeatureValues } from "../catalog/catalog-types.ts";
import { loadPlanVersions } from "../catalog/plans.ts";
import type { Database, Executor } from "../db/database.ts";
import {
  organizationEntitlements,
  organizationPublicView,
  organizations,
  plans,
} from "../db/schema/index.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import type { OrganizationRecord } from "../organizations/organization-record.ts";
import { publishOrganizationChanges } from "../organizations/publish-organization-changes.ts";
import { syncPublicView } from "../organizations/sync-public-view.ts";
import { findLiveSubscription } from "../subscriptions/subscription-records.ts";
import {
  computeRootPlanChange,
  type EntitlementState,
  type RootPlanRequest,
} from "./compute-root-plan-change.ts";
import { manualProvider, writeManualTrace } from "./manual-trace.ts";

const rootPlanAuditAction = "root.organization_plan_set";

export interface SetOrganizationPlanResult {
  organization: OrganizationRecord;
  auditLogId: string;
  planCatalogFound: boolean | null;
  warnings: string[];
}

/**
 * The danger-zone override (docs/root-and-audit.md): root sets an organization's plan, entitlement status and organization
 * status. One transaction holding the organization's row lock: the entitlement (only when `planId` or
 * `entitlementStatus` is sent), the organization status and its public view, the manual trace under the
 * billing providers and the audit entry with before/after all commit together or not at all. Usage
 * counters are never touched; the subscription is not changed (this overrides the entitlement only).
 * The caller has already checked the confirmation and validated the values.
 */
export async function setOrganizationPlan({
  db,
  organizationId,
  request,
  reason,
  actor,
  freePlanId,
  pastDueGraceDays,
  systemNow,
}: {
  db: Database;
  organizationId: string;
  request: RootPlanRequest;
  reason: string;
  actor: string;
  freePlanId: string;
  pastDueGraceDays: number;
  systemNow: Date;
}): Promise<SetOrganizationPlanResult> {
  return db.transaction(async (tx) => {
    const { organization, now } = await lockOrganization({ tx, organizationId, systemNow });
    const [current] = await tx
      .select()
      .from(organizationEntitlements)
      .where(eq(organizationEntitlements.organizationId, organizationId));
    const [publicViewBefore] = await tx
      .select({
        status: organizationPublicView.status,
        isActive: organizationPublicView.isActive,
      })
      .from(organizationPublicView)
      .where(eq(organizationPublicView.organizationId, organizationId));
    const [catalogPlan] =
      request.planId === undefined
        ? []
        : await tx
            .select({ id: plans.id, currentVersion: plans.currentVersion })
            .from(plans)
            .where(eq(plans.id, request.planId));
    const subscription = await findLiveSubscription({ executor: tx, organizationId });

    const change = computeRootPlanChange({
      request,
      current: current ?? null,
      catalogPlan: catalogPlan ?? null,
      previousPlanFeatures: current ? await planFeaturesInForce(tx, current) : null,
      liveSubscription: subscription ? { id: subscription.id, planId: subscription.planId } : null,
      freePlanId,
      pastDueGraceDays,
      now,
    });

    if (change.entitlement !== null) {
      const values = { ...change.entitlement, updatedAt: now };
      await tx
        .insert(organizationEntitlements)
        .values({ organizationId, ...values })
        .onConflictDoUpdate({ target: organizationEntitlements.organizationId, set: values });
    }
    let updated = organization;
    let publicViewAfter = publicViewBefore ?? null;
    if (change.organizationStatus !== null) {
      if (change.organizationStatus !== organization.status) {
        const [row] = await tx
          .update(organizations)
          .set({ status: change.organizationStatus, updatedAt: now })
          .where(eq(organizations.id, organizationId))
          .returning();
        if (row) updated = row;
        await publishOrganizationChanges({
          executor: tx,
          before: organization,
          after: updated,
          now,
        });
      }
      // Sent means synced, even when the status is unchanged: it repairs a view that drifted.
      publicViewAfter = await syncPublicView({ executor: tx, organization: updated, now });
    }

    const auditLogId = await recordAudit({
      executor: tx,
      entry: {
        action: rootPlanAuditAction,
        actor,
        organizationId,
        reason,
        before: {
          organization: { status: organization.status },
          publicView: publicViewBefore ?? null,
          entitlement: current ? entitlementSnapshot(current) : null,
        },
        after: {
          organization: { status: updated.status },
          publicView: publicViewAfter,
          entitlement: change.entitlement
            ? entitlementSnapshot(change.entitlement)
            : current
              ? entitlementSnapshot(current)
              : null,
        },
        metadata: {
          provider: manualProvider,
          requested: request,
          entitlementChanged: change.entitlement !== null,
          planCatalogFound: change.planCatalogFound,
          subscriptionId: subscription?.id ?? null,
          warnings: change.warnings,
        },
      },
      now,
    });
    await writeManualTrace({
      executor: tx,
      organizationId,
      trace: {
        actor,
        at: now.toISOString(),
        changes: definedFields(request),
        reason,
        planCatalogFound: change.planCatalogFound,
        auditLogId,
        requestId: currentRequestId(),
      },
      now,
    });
    return {
      organization: updated,
      auditLogId,
      planCatalogFound: change.planCatalogFound,
      warnings: change.warnings,
    };
  });
}

/** The values the current plan gives: its catalog version's, or the snapshot kept for a manual plan. */
async function planFeaturesInForce(
  executor: Executor,
  entitlement: EntitlementState,
): Promise<FeatureValues | null> {
  const [plan] = await executor
    .select({ id: plans.id, currentVersion: plans.currentVersion })
    .from(plans)
    .where(eq(plans.id, entitlement.planId));
  if (!plan) return entitlement.manualFeatures;
  const [version] = await loadPlanVersions(executor, [
    { planId: plan.id, version: entitlement.planVersion ?? plan.currentVersion },
  ]);
  return version?.features ?? entitlement.manualFeatures;
}

function entitlementSnapshot(entitlement: EntitlementState) {
  return {
    planId: entitlement.planId,
    planVersion: entitlement.planVersion,
    status: entitlement.status,
    trialEndsAt: entitlement.trialEndsAt,
    graceEndsAt: entitlement.graceEndsAt,
    source: entitlement.source,
    manualFeatures: entitlement.manualFeatures,
  };
}

function definedFields(request: RootPlanRequest) {
  return Object.fromEntries(
    Object.entries(request).filter(([, value]) => value !== undefined),
  ) as Record<string, string>;
}
