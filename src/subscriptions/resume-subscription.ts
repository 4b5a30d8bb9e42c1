import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { subscriptions } from "../db/schema/index.ts";
import { invalidState } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { findLiveSubscription } from "./subscription-records.ts";
import { type SubscriptionView, subscriptionView } from "./subscription-view.ts";

/**
 * Undoes a cancellation scheduled for the period end, while the period lasts: the subscription renews as
 * before. Nothing is invoiced or charged. A subscription that is not scheduled to end is refused (409).
 */
export async function resumeSubscription({
  services,
  organizationId,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  actor: string;
  systemNow: Date;
}): Promise<SubscriptionView> {
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation({ tx, now, queueName }) {
      const subscription = await findLiveSubscription({ executor: tx, organizationId });
      if (!subscription?.cancelAtPeriodEnd) {
        throw invalidState(
          `Organization ${organizationId} has no subscription scheduled to end; there is no cancellation to undo.`,
        );
      }
      if (subscription.currentPeriodEnd <= now) {
        throw invalidState("The period has ended; the cancellation already took effect.");
      }
      const before = await subscriptionView({ executor: tx, subscription });
      const [updated = subscription] = await tx
        .update(subscriptions)
        .set({ cancelAtPeriodEnd: false, canceledAt: null, updatedAt: now })
        .where(eq(subscriptions.id, subscription.id))
        .returning();
      const after = await subscriptionView({ executor: tx, subscription: updated });
      await recordAudit({
        executor: tx,
        entry: { action: "subscription.cancel_undone", actor, organizationId, before, after },
        now,
      });
      await publishEvent({
        executor: tx,
        type: "subscription.updated",
        organizationId,
        data: { subscriptionId: subscription.id, reason: "cancellation_undone" },
        now,
        queueName,
      });
      return after;
    },
  });
}
