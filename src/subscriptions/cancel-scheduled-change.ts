import type { BillingServices } from "../billing/billing-operation.ts";
import { invalidState } from "../errors.ts";
import type { SubscriptionView } from "./subscription-view.ts";
import { undoScheduledUpdate } from "./undo-scheduled-update.ts";

/**
 * Drops a plan change scheduled for the renewal (`timing: "period_end"`): the subscription renews on its
 * current plan. Nothing was invoiced for it, so nothing is invoiced or refunded now. Without a scheduled
 * change → 409.
 */
export function cancelScheduledChange({
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
    refuse(subscription) {
      if (!subscription?.scheduledChange) {
        throw invalidState(
          `Organization ${organizationId} has no plan change scheduled for the renewal; there is nothing to undo.`,
        );
      }
    },
    changes: { scheduledChange: null },
    auditAction: "subscription.scheduled_change_canceled",
    reason: "scheduled_change_canceled",
  });
}
