import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { getPlan } from "../catalog/plans.ts";
import { subscriptions } from "../db/schema/index.ts";
import { findUnbilledOverage, overageLines } from "../entitlements/overage.ts";
import { invalidState } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { getInvoice, type Invoice, issueInvoice, newInvoiceId } from "../invoicing/invoices.ts";
import { prorate, prorationFraction } from "../money/index.ts";
import { settlePendingItems } from "./settle-pending-items.ts";
import {
  fallBackToFreePlan,
  findLiveSubscription,
  requirePrice,
  unbilledPendingItems,
} from "./subscription-records.ts";
import { type SubscriptionView, subscriptionView } from "./subscription-view.ts";

/**
 * Cancels at the period end (default: access continues until then, the renewal ends it) or now. Canceling
 * now settles what is owed to date, ends the subscription and falls back to the free plan; it refunds
 * nothing, unless the operator asks to credit the unused time to the balance (`creditUnusedTime`).
 */
export async function cancelSubscription({
  services,
  organizationId,
  atPeriodEnd,
  creditUnusedTime,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  atPeriodEnd: boolean;
  creditUnusedTime: boolean;
  actor: string;
  systemNow: Date;
}): Promise<{ subscription: SubscriptionView; invoices: Invoice[] }> {
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation(context) {
      const { tx, organization, now, queueName } = context;
      const subscription = await findLiveSubscription({ executor: tx, organizationId });
      if (!subscription)
        throw invalidState(`Organization ${organizationId} has no subscription to cancel.`);
      const before = await subscriptionView({ executor: tx, subscription });
      const issued: Invoice[] = [];
      let updated = subscription;
      if (atPeriodEnd) {
        [updated = subscription] = await tx
          .update(subscriptions)
          .set({ cancelAtPeriodEnd: true, canceledAt: now, scheduledChange: null, updatedAt: now })
          .where(eq(subscriptions.id, subscription.id))
          .returning();
      } else {
        const pending = await unbilledPendingItems({ executor: tx, organizationId });
        const overage = await findUnbilledOverage({
          executor: tx,
          organizationIds: [organizationId],
        });
        const settlement = await settlePendingItems({
          context,
          subscription,
          pending,
          overage,
          overageCharges: overageLines({
            overage,
            prices: (
              await getPlan({
                db: tx,
                planId: subscription.planId,
                version: subscription.planVersion,
              })
            ).overage,
            currency: subscription.currency,
            messages: billingMessages(organization.locale),
            periodEnd: now,
          }),
          billingReason: "settlement_on_cancel",
        });
        if (settlement) issued.push(settlement);
        if (creditUnusedTime && subscription.status === "active") {
          const plan = await getPlan({
            db: tx,
            planId: subscription.planId,
            version: subscription.planVersion,
          });
          const unitAmount = requirePrice({
            plan,
            interval: subscription.interval,
            currency: subscription.currency,
          });
          const amount = prorate({
            unitAmount: -unitAmount,
            quantity: 1,
            fraction: prorationFraction({
              periodStart: subscription.currentPeriodStart,
              periodEnd: subscription.currentPeriodEnd,
              now,
            }),
          });
          if (amount !== 0n) {
            issued.push(
              await issueInvoice({
                executor: tx,
                draft: {
                  id: newInvoiceId(now),
                  organizationId,
                  subscriptionId: subscription.id,
                  kind: "subscription",
                  billingReason: "subscription_cancel_credit",
                  currency: subscription.currency,
                  locale: organization.locale,
                  lines: [
                    {
                      kind: "proration",
                      description: billingMessages(organization.locale).unusedTime({
                        plan: plan.name,
                      }),
                      amount,
                      quantity: 1,
                      unitAmount,
                      proration: true,
                      periodStart: now,
                      periodEnd: subscription.currentPeriodEnd,
                    },
                  ],
                  coupon: null,
                  periodStart: now,
                  periodEnd: subscription.currentPeriodEnd,
                  periodKey: null,
                },
                numberPrefix: services.config.invoicePrefix,
                now,
              }),
            );
          }
        }
        [updated = subscription] = await tx
          .update(subscriptions)
          .set({
            status: "canceled",
            canceledAt: now,
            endedAt: now,
            scheduledChange: null,
            updatedAt: now,
          })
          .where(eq(subscriptions.id, subscription.id))
          .returning();
        await fallBackToFreePlan({
          executor: tx,
          organizationId,
          freePlanId: services.config.freePlanId,
          now,
        });
      }
      const after = await subscriptionView({ executor: tx, subscription: updated });
      await recordAudit({
        executor: tx,
        entry: {
          action: atPeriodEnd ? "subscription.cancel_scheduled" : "subscription.canceled",
          actor,
          organizationId,
          before,
          after,
          metadata: { creditUnusedTime },
        },
        now,
      });
      await publishEvent({
        executor: tx,
        type: "subscription.canceled",
        organizationId,
        data: { subscriptionId: subscription.id, atPeriodEnd },
        now,
        queueName,
      });
      return {
        subscription: after,
        invoices: await Promise.all(
          issued.map((invoice) => getInvoice({ executor: tx, invoiceId: invoice.id })),
        ),
      };
    },
  });
}
