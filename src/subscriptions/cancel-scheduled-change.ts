import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { subscriptions } from "../db/schema/index.ts";
import { invalidState } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { findLiveSubscription } from "./subscription-records.ts";
import { type SubscriptionView, subscriptionView } from "./subscription-view.ts";

/**
 * Drops a plan change scheduled for the renewal (`timing: "period_end"`): the subscription renews on its
 * current plan. Nothing was invoiced for it, so nothing is invoiced or refunded now. Without a scheduled
 * change → 409.
 */
export async function cancelScheduledChange({
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
      if (!subscription?.scheduledChange) {
        throw invalidState(
          `Organization ${organizationId} has no plan change scheduled for the renewal; there is nothing to undo.`,
        );
      }
      const before = await subscriptionView({ executor: tx, subscription });
      const [updated = subscription] = await tx
        .update(subscriptions)
        .set({ scheduledChange: null, updatedAt: now })
        .where(eq(subscriptions.id, subscription.id))
        .returning();
      const after = await subscriptionView({ executor: tx, subscription: updated });
      await recordAudit({
        executor: tx,
        entry: {
          action: "subscription.scheduled_change_canceled",
          actor,
          organizationId,
          before,
          after,
        },
        now,
      });
      await publishEvent({
        executor: tx,
        type: "subscription.updated",
        organizationId,
        data: { subscriptionId: subscription.id, reason: "scheduled_change_canceled" },
        now,
        queueName,
      });
      return after;
    },
  });
}
