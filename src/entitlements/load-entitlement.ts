import { and, eq, gt, inArray, isNull, or } from "drizzle-orm";
import { loadAddonVersions } from "../catalog/addons.ts";
import type { Feature } from "../catalog/catalog-types.ts";
import { loadFeatureMap } from "../catalog/features.ts";
import { loadPlanVersions } from "../catalog/plans.ts";
import type { Executor } from "../db/database.ts";
import {
  entitlementOverrides,
  organizationEntitlements,
  organizations,
  plans,
  subscriptionItems,
} from "../db/schema/index.ts";
import { notFound } from "../errors.ts";
import { organizationNow } from "../organizations/organization-now.ts";
import {
  findLiveSubscription,
  type SubscriptionRow,
} from "../subscriptions/subscription-records.ts";
import { type Period, periodContaining } from "../time/index.ts";
import {
  computeEffectiveEntitlement,
  type EffectiveEntitlement,
} from "./compute-effective-entitlement.ts";

export interface LoadedEntitlement {
  organizationId: string;
  organizationStatus: "active" | "suspended" | "deleted";
  trialEndsAt: Date | null;
  effective: EffectiveEntitlement;
  /** The period metered features count in: the subscription's, else the calendar month. */
  meteredPeriod: Period;
  /** When this answer stops being right by itself (a trial or grace period ending, a period rolling over). */
  validUntil: Date;
}

const epoch = new Date(0);
/** Without a paid subscription, metered features reset on the 1st of each calendar month. */
const calendarMonths = new Date(Date.UTC(2000, 0, 1));

type LoadedPlanVersion = Awaited<ReturnType<typeof loadPlanVersions>>[number];
type LoadedAddonVersion = Awaited<ReturnType<typeof loadAddonVersions>>[number];

/** Everything an organization's entitlement is computed from, as read from the database. */
export interface EntitlementSources {
  organization: { id: string; status: LoadedEntitlement["organizationStatus"] };
  /** The organization's "now" (its test clock's frozen time, else the system time). */
  now: Date;
  state: typeof organizationEntitlements.$inferSelect | undefined;
  /** The entitled plan's version and the free plan's, when the catalog has them. */
  planVersion: LoadedPlanVersion | undefined;
  freeVersion: LoadedPlanVersion | undefined;
  subscription: SubscriptionRow | null;
  items: readonly (typeof subscriptionItems.$inferSelect)[];
  addons: readonly LoadedAddonVersion[];
  /** The organization's overrides, expired ones included (filtered here at `now`). */
  overrides: readonly (typeof entitlementOverrides.$inferSelect)[];
  features: ReadonlyMap<string, Feature>;
  freePlanId: string;
}

/**
 * The one computation of an organization's loaded entitlement from what was read for it, whether read for
 * this organization alone (`loadEntitlement`) or with many others (`loadEntitlements`).
 */
export function assembleEntitlement(sources: EntitlementSources): LoadedEntitlement {
  const { organization, now, freePlanId, planVersion, freeVersion, subscription, items } = sources;
  const state = sources.state ?? {
    planId: freePlanId,
    planVersion: null,
    status: "canceled" as const,
    trialEndsAt: null,
    graceEndsAt: null,
    manualFeatures: null,
  };
  const overrides = sources.overrides.filter(
    (override) => override.expiresAt === null || override.expiresAt > now,
  );
  const effective = computeEffectiveEntitlement({
    organizationStatus: organization.status,
    entitlement: state,
    // A plan root set manually that the catalog does not have keeps the values snapshotted for it.
    planFeatures: planVersion?.features ?? state.manualFeatures ?? null,
    freePlanId,
    freePlanFeatures: freeVersion?.features ?? null,
    features: sources.features,
    // Matched by id and version: the loader leaves out a version it does not find.
    addons: items.flatMap((item) => {
      const addon = sources.addons.find(
        (loaded) => loaded.id === item.addonId && loaded.version === item.addonVersion,
      );
      return addon ? [{ features: addon.features, quantity: item.quantity }] : [];
    }),
    overrides,
    overagePrices: planVersion?.overage ?? {},
    now,
  });
  const meteredPeriod =
    subscription && effective.subscriptionActive
      ? { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd }
      : periodContaining({ anchor: calendarMonths, interval: "month", at: now });
  const horizons = [
    meteredPeriod.end,
    state.trialEndsAt,
    state.graceEndsAt,
    ...overrides.map((o) => o.expiresAt),
  ]
    .filter((date): date is Date => date !== null && date > now)
    .map((date) => date.getTime());
  return {
    organizationId: organization.id,
    organizationStatus: organization.status,
    trialEndsAt: state.trialEndsAt,
    effective,
    meteredPeriod,
    validUntil: new Date(Math.min(...horizons, now.getTime() + 24 * 60 * 60 * 1000)),
  };
}

/** Reads everything an organization's entitlement is computed from, and computes it at its own "now". */
export async function loadEntitlement({
  executor,
  organizationId,
  freePlanId,
  systemNow,
}: {
  executor: Executor;
  organizationId: string;
  freePlanId: string;
  systemNow: Date;
}): Promise<LoadedEntitlement> {
  const [organization] = await executor
    .select()
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  if (!organization) throw notFound("Organization", organizationId);
  const now = await organizationNow({ executor, testClockId: organization.testClockId, systemNow });
  const [entitlement] = await executor
    .select()
    .from(organizationEntitlements)
    .where(eq(organizationEntitlements.organizationId, organizationId));
  const planId = entitlement?.planId ?? freePlanId;
  const planRows = await executor
    .select()
    .from(plans)
    .where(inArray(plans.id, [planId, freePlanId]));
  const plan = planRows.find((row) => row.id === planId);
  const free = planRows.find((row) => row.id === freePlanId);
  const versions = await loadPlanVersions(executor, [
    ...(plan
      ? [{ planId: plan.id, version: entitlement?.planVersion ?? plan.currentVersion }]
      : []),
    ...(free ? [{ planId: free.id, version: free.currentVersion }] : []),
  ]);
  const subscription = await findLiveSubscription({ executor, organizationId });
  const items = subscription
    ? await executor
        .select()
        .from(subscriptionItems)
        .where(
          and(
            eq(subscriptionItems.subscriptionId, subscription.id),
            eq(subscriptionItems.organizationId, organizationId),
          ),
        )
    : [];
  const addons = await loadAddonVersions(
    executor,
    items.map((item) => [item.addonId, item.addonVersion]),
  );
  const overrides = await executor
    .select()
    .from(entitlementOverrides)
    .where(
      and(
        eq(entitlementOverrides.organizationId, organizationId),
        or(isNull(entitlementOverrides.expiresAt), gt(entitlementOverrides.expiresAt, now)),
      ),
    );
  return assembleEntitlement({
    organization,
    now,
    state: entitlement,
    planVersion: plan ? versions.find((version) => version.id === plan.id) : undefined,
    freeVersion: free ? versions.find((version) => version.id === free.id) : undefined,
    subscription,
    items,
    addons,
    overrides,
    features: await loadFeatureMap(executor),
    freePlanId,
  });
}

/** Limit features keep one live counter; metered ones one per period. */
export function counterPeriodStart({
  kind,
  meteredPeriod,
}: {
  kind: string;
  meteredPeriod: Period;
}): Date {
  return kind === "metered" ? meteredPeriod.start : epoch;
}
