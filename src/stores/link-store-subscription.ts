import { and, eq, isNull } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { BillingServices } from "../billing/billing-operation.ts";
import { storeSubscriptions } from "../db/schema/index.ts";
import { invalidState, notFound } from "../errors.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import { getOrganizationRecord } from "../organizations/organizations.ts";
import { cancelSubscription } from "../subscriptions/cancel-subscription.ts";
import { findLiveSubscription } from "../subscriptions/subscription-records.ts";
import { applyEntitlement } from "./apply-store-subscription.ts";
import { recordEarlierTransactions } from "./earlier-store-transactions.ts";
import { liveStoreStatuses } from "./store-state.ts";

/**
 * Root ties a store subscription that named no known organization to one (docs/app-stores.md "Purchases
 * no organization could be found for"), then its last known state applies as any store change does and
 * the transactions the store charged before are recorded as the organization's payments.
 */
export async function linkStoreSubscription({
  services,
  storeSubscriptionId,
  organizationId,
  reason,
  actor,
  systemNow,
}: {
  services: BillingServices;
  storeSubscriptionId: string;
  organizationId: string;
  reason: string;
  actor: string;
  systemNow: Date;
}): Promise<typeof storeSubscriptions.$inferSelect> {
  const { db } = services;
  await getOrganizationRecord({ db, organizationId });
  const [found] = await db
    .select()
    .from(storeSubscriptions)
    .where(eq(storeSubscriptions.id, storeSubscriptionId));
  if (!found) throw notFound("Store subscription", storeSubscriptionId);
  if (found.organizationId !== null) {
    throw invalidState(
      `Store subscription ${storeSubscriptionId} already belongs to organization ${found.organizationId}.`,
    );
  }
  if (found.planId && liveStoreStatuses.has(found.status)) {
    if (await findLiveSubscription({ executor: db, organizationId })) {
      await cancelSubscription({
        services,
        organizationId,
        atPeriodEnd: false,
        creditUnusedTime: true,
        actor,
        systemNow,
      });
    }
  }
  return db.transaction(async (tx) => {
    const { now } = await lockOrganization({ tx, organizationId, systemNow });
    const [linked] = await tx
      .update(storeSubscriptions)
      .set({ organizationId, updatedAt: systemNow })
      .where(
        and(
          eq(storeSubscriptions.id, storeSubscriptionId),
          isNull(storeSubscriptions.organizationId),
        ),
      )
      .returning();
    if (!linked) {
      throw invalidState(`Store subscription ${storeSubscriptionId} was linked meanwhile.`);
    }
    await recordAudit({
      executor: tx,
      entry: {
        action: "store.subscription_linked",
        actor,
        organizationId,
        reason,
        before: { organizationId: null },
        after: { organizationId },
        metadata: { storeSubscriptionId, store: linked.store, productId: linked.productId },
      },
      now,
    });
    await recordEarlierTransactions({ tx, row: linked, now });
    await applyEntitlement({
      tx,
      services,
      subscription: linked,
      notificationType: "linked_by_root",
      now,
    });
    return linked;
  });
}
