import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import {
  type BillingContext,
  type BillingServices,
  runBillingOperation,
} from "../billing/billing-operation.ts";
import { loadAddonVersions } from "../catalog/addons.ts";
import type { Plan } from "../catalog/catalog-types.ts";
import { getPlan } from "../catalog/plans.ts";
import { subscriptions } from "../db/schema/index.ts";
import { invalidState } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { type BillingMessages, billingMessages } from "../i18n/billing-messages.ts";
import { getInvoice, type Invoice, issueInvoice, newInvoiceId } from "../invoicing/invoices.ts";
import { periodAddons } from "./period-addons.ts";
import { loadPeriodCharges } from "./period-charges.ts";
import { findOwedToDate, settleOwedToDate } from "./settle-owed-to-date.ts";
import {
  fallBackToFreePlan,
  findLiveSubscription,
  listItems,
  requirePrice,
  type SubscriptionRow,
} from "./subscription-records.ts";
import { type SubscriptionView, subscriptionView } from "./subscription-view.ts";
import { unusedTimeLines } from "./unused-time-lines.ts";

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
        const plan = await getPlan({
          db: tx,
          planId: subscription.planId,
          version: subscription.planVersion,
        });
        const messages = billingMessages(organization.locale);
        const owed = await findOwedToDate({
          executor: tx,
          organizationId,
          overagePrices: plan.overage,
          currency: subscription.currency,
          messages,
          now,
        });
        const settlement = await settleOwedToDate({
          context,
          subscription,
          owed,
          billingReason: "settlement_on_cancel",
        });
        if (settlement) issued.push(settlement);
        if (creditUnusedTime && subscription.status === "active") {
          const credit = await creditUnusedTimeToBalance({ context, subscription, plan, messages });
          if (credit) issued.push(credit);
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
      await publishEvent(
        atPeriodEnd
          ? {
              executor: tx,
              type: "subscription.updated",
              organizationId,
              data: { subscriptionId: subscription.id, reason: "cancellation_scheduled" },
              now,
              queueName,
            }
          : {
              executor: tx,
              type: "subscription.canceled",
              organizationId,
              data: { subscriptionId: subscription.id, atPeriodEnd, endedAt: now },
              now,
              queueName,
            },
      );
      return {
        subscription: after,
        invoices: await Promise.all(
          issued.map((invoice) => getInvoice({ executor: tx, invoiceId: invoice.id })),
        ),
      };
    },
  });
}

/**
 * The operator's option on an immediate cancel: the unused rest of the period, of the plan and of each
 * add-on, as a credit invoice (kind `subscription`, negative total) that puts it on the balance. Each
 * credit is worth what was actually charged for that time (`unusedTimeLines`). Nothing when nothing is
 * worth crediting.
 */
async function creditUnusedTimeToBalance({
  context: { tx, organization, now, services },
  subscription,
  plan,
  messages,
}: {
  context: BillingContext;
  subscription: SubscriptionRow;
  plan: Plan;
  messages: BillingMessages;
}): Promise<Invoice | null> {
  const items = await listItems({ executor: tx, subscriptionId: subscription.id });
  const addons = await loadAddonVersions(
    tx,
    items.map((item) => [item.addonId, item.addonVersion]),
  );
  const { interval, currency } = subscription;
  const { lines } = unusedTimeLines({
    plan: { name: plan.name, unitAmount: requirePrice({ plan, interval, currency }) },
    addons: periodAddons({ items, addons }).map((item) => ({
      addonId: item.addonId,
      name: item.name,
      quantity: item.quantity,
      unitAmount: requirePrice({
        plan: { id: item.addonId, prices: [...item.prices] },
        interval,
        currency,
        what: "Add-on",
      }),
    })),
    charges: await loadPeriodCharges({ executor: tx, subscription }),
    now,
    periodEnd: subscription.currentPeriodEnd,
    messages,
  });
  if (lines.every((line) => line.amount === 0n)) return null;
  return issueInvoice({
    executor: tx,
    draft: {
      id: newInvoiceId(now),
      organizationId: organization.id,
      subscriptionId: subscription.id,
      kind: "subscription",
      billingReason: "subscription_cancel_credit",
      currency: subscription.currency,
      locale: organization.locale,
      lines: lines.filter((line) => line.amount !== 0n),
      coupon: null,
      periodStart: now,
      periodEnd: subscription.currentPeriodEnd,
      periodKey: null,
    },
    services,
    now,
  });
}
