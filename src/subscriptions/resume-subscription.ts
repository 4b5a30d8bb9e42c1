import type { BillingServices } from "../billing/billing-operation.ts";
import { invalidState } from "../errors.ts";
import type { SubscriptionView } from "./subscription-view.ts";
import { undoScheduledUpdate } from "./undo-scheduled-update.ts";

/**
 * Undoes a cancellation scheduled for the period end, while the period lasts: the subscription renews as
 * before. Nothing is invoiced or charged. A subscription that is not scheduled to end is refused (409).
 */
export function resumeSubscription({
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
  return undoScheduledUpdate({
    services,
    organizationId,
    actor,
    systemNow,
    refuse(subscription, now) {
      if (!subscription?.cancelAtPeriodEnd) {
        throw invalidState(
          `Organization ${organizationId} has no subscription scheduled to end; there is no cancellation to undo.`,
        );
      }
      if (subscription.currentPeriodEnd <= now) {
        throw invalidState("The period has ended; the cancellation already took effect.");
      }
    },
    changes: { cancelAtPeriodEnd: false, canceledAt: null },
    auditAction: "subscription.cancel_undone",
    reason: "cancellation_undone",
  });
}
