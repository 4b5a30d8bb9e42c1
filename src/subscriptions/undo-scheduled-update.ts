import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { subscriptions } from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";
import { findLiveSubscription, type SubscriptionRow } from "./subscription-records.ts";
import { type SubscriptionView, subscriptionView } from "./subscription-view.ts";

/** Throws when the live subscription has nothing of the kind to undo. */
type RefuseUndo = (
  subscription: SubscriptionRow | null,
  now: Date,
) => asserts subscription is SubscriptionRow;

/**
 * Undoes something scheduled on the live subscription for its renewal (a cancellation, a plan change):
 * `refuse` throws when there is nothing to undo, `changes` are written, and the change is audited as
 * `auditAction` and published as `subscription.updated` with `reason`. Nothing is invoiced or charged.
 */
export async function undoScheduledUpdate({
  services,
  organizationId,
  actor,
  systemNow,
  refuse,
  changes,
  auditAction,
  reason,
}: {
  services: BillingServices;
  organizationId: string;
  actor: string;
  systemNow: Date;
  refuse: (
    subscription: SubscriptionRow | null,
    now: Date,
  ) => asserts subscription is SubscriptionRow;
  changes: Partial<typeof subscriptions.$inferInsert>;
  auditAction: string;
  reason: "cancellation_undone" | "scheduled_change_canceled";
}): Promise<SubscriptionView> {
  const assertUndoable: RefuseUndo = refuse;
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation({ tx, now, queueName }) {
      const subscription = await findLiveSubscription({ executor: tx, organizationId });
      assertUndoable(subscription, now);
      const before = await subscriptionView({ executor: tx, subscription });
      const [updated = subscription] = await tx
        .update(subscriptions)
        .set({ ...changes, updatedAt: now })
        .where(eq(subscriptions.id, subscription.id))
        .returning();
      const after = await subscriptionView({ executor: tx, subscription: updated });
      await recordAudit({
        executor: tx,
        entry: { action: auditAction, actor, organizationId, before, after },
        now,
      });
      await publishEvent({
        executor: tx,
        type: "subscription.updated",
        organizationId,
        data: { subscriptionId: subscription.id, reason },
        now,
        queueName,
      });
      return after;
    },
  });
}
