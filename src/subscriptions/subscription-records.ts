import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Plan } from "../catalog/catalog-types.ts";
import type { Executor } from "../db/database.ts";
import {
  organizationEntitlements,
  pendingItems,
  plans,
  subscriptionItems,
  subscriptions,
} from "../db/schema/index.ts";
import { validationError } from "../errors.ts";
import type { Interval } from "../time/index.ts";

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type SubscriptionItemRow = typeof subscriptionItems.$inferSelect;
export type PendingItemRow = typeof pendingItems.$inferSelect;

export const liveStatuses = ["incomplete", "trialing", "active", "past_due"] as const;

export async function findLiveSubscription({
  executor,
  organizationId,
}: {
  executor: Executor;
  organizationId: string;
}): Promise<SubscriptionRow | null> {
  const [row] = await executor
    .select()
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.organizationId, organizationId),
        inArray(subscriptions.status, [...liveStatuses]),
      ),
    );
  return row ?? null;
}

export async function listItems({
  executor,
  subscriptionId,
}: {
  executor: Executor;
  subscriptionId: string;
}): Promise<SubscriptionItemRow[]> {
  return executor
    .select()
    .from(subscriptionItems)
    .where(eq(subscriptionItems.subscriptionId, subscriptionId))
    .orderBy(asc(subscriptionItems.addonId));
}

export async function unbilledPendingItems({
  executor,
  organizationId,
}: {
  executor: Executor;
  organizationId: string;
}): Promise<PendingItemRow[]> {
  return executor
    .select()
    .from(pendingItems)
    .where(and(eq(pendingItems.organizationId, organizationId), isNull(pendingItems.invoiceId)))
    .orderBy(asc(pendingItems.id));
}

export async function markPendingItemsBilled({
  executor,
  items,
  invoiceId,
}: {
  executor: Executor;
  items: readonly PendingItemRow[];
  invoiceId: string;
}) {
  if (items.length === 0) return;
  await executor
    .update(pendingItems)
    .set({ invoiceId })
    .where(
      inArray(
        pendingItems.id,
        items.map((item) => item.id),
      ),
    );
}

/** A plan's (or add-on's) price for an interval and currency, or a 400 that says which prices exist. */
export function requirePrice({
  plan,
  interval,
  currency,
  what = "Plan",
}: {
  plan: Pick<Plan, "id" | "prices">;
  interval: Interval;
  currency: string;
  what?: "Plan" | "Add-on";
}): bigint {
  const price = plan.prices.find(
    (entry) => entry.interval === interval && entry.currency === currency,
  );
  if (!price) {
    const offered = plan.prices.map((entry) => `${entry.interval}/${entry.currency}`).join(", ");
    throw validationError(
      `${what} "${plan.id}" has no ${interval}ly price in ${currency}; it is offered as ${offered}.`,
    );
  }
  return price.unitAmount;
}

/** Points the organization's entitlement at a plan version with a status (in the caller's transaction). */
export async function setEntitlement({
  executor,
  organizationId,
  planId,
  planVersion,
  status,
  trialEndsAt,
  graceEndsAt = null,
  source,
  now,
}: {
  executor: Executor;
  organizationId: string;
  planId: string;
  planVersion: number | null;
  status: "trialing" | "active" | "past_due" | "canceled";
  trialEndsAt: Date | null;
  graceEndsAt?: Date | null;
  source: "free" | "subscription" | "manual" | "store";
  now: Date;
}) {
  const values = {
    planId,
    planVersion,
    status,
    trialEndsAt,
    graceEndsAt,
    source,
    // A catalog plan brings its own values: a manual plan's snapshot no longer applies.
    manualFeatures: null,
    updatedAt: now,
  };
  await executor
    .insert(organizationEntitlements)
    .values({ organizationId, ...values })
    .onConflictDoUpdate({ target: organizationEntitlements.organizationId, set: values });
}

/** Back to the free plan (ABONO_FREE_PLAN_ID) when a subscription ends. */
export async function fallBackToFreePlan({
  executor,
  organizationId,
  freePlanId,
  now,
}: {
  executor: Executor;
  organizationId: string;
  freePlanId: string;
  now: Date;
}) {
  const [free] = await executor.select().from(plans).where(eq(plans.id, freePlanId));
  await setEntitlement({
    executor,
    organizationId,
    planId: freePlanId,
    planVersion: free?.currentVersion ?? null,
    status: free ? "active" : "canceled",
    trialEndsAt: null,
    source: "free",
    now,
  });
}

/** The organization a subscription belongs to (to take that organization's lock), or null. */
export async function organizationOfSubscription({
  executor,
  subscriptionId,
}: {
  executor: Executor;
  subscriptionId: string;
}): Promise<string | null> {
  const [row] = await executor
    .select({ organizationId: subscriptions.organizationId })
    .from(subscriptions)
    .where(eq(subscriptions.id, subscriptionId));
  return row?.organizationId ?? null;
}
