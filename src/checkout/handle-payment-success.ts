import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import {
  type BillingServices,
  type PrepaidPayment,
  runBillingOperation,
} from "../billing/billing-operation.ts";
import { checkouts } from "../db/schema/index.ts";
import { AbonoError, invalidState } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import type { Invoice } from "../invoicing/invoices.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import {
  adminPaymentNotificationJob,
  purchaseEmailJob,
  userPaymentNotificationJob,
} from "../notifications/payment-notifications.ts";
import { findProviderPayment } from "../payments/find-provider-payment.ts";
import { writeProviderTrace } from "../payments/provider-trace.ts";
import { changePlanWithin } from "../subscriptions/change-plan.ts";
import { subscribeWithin } from "../subscriptions/subscribe.ts";
import { findLiveSubscription } from "../subscriptions/subscription-records.ts";
import type { SubscriptionView } from "../subscriptions/subscription-view.ts";
import { type CheckoutRow, getCheckout } from "./checkout-records.ts";
import { recordUnappliedPayment } from "./record-unapplied-payment.ts";

export interface PaymentSuccess {
  provider: string;
  providerPaymentId: string;
  amount: bigint;
  currency: string;
  checkoutId: string | null;
}

export type PipelineResult =
  | {
      outcome: "processed";
      checkout: CheckoutRow;
      subscription: SubscriptionView;
      invoices: Invoice[];
    }
  | { outcome: "duplicate"; checkout: CheckoutRow | null }
  | { outcome: "ignored"; reason: string }
  | { outcome: "unapplied"; checkout: CheckoutRow; reason: string };

/**
 * `handle_payment_subscription_success` (docs/payments.md "The payment success pipeline"): one
 * transaction per provider payment, under the organization's lock. Insert the payment (unique on provider
 * and provider payment id: a repeat returns the first result) → a new purchase expires the previous
 * subscription and creates the active one (`subscribe`), an upgrade changes the live subscription with the
 * proration quoted at checkout (`changePlan`) → the entitlement follows → founders program → enqueue the
 * purchase email, user and admin notifications; audit entry and events in the same transaction.
 *
 * A payment that cannot be applied (the quote went stale, the coupon ran out, the organization was
 * suspended meanwhile) is never lost: it is recorded as unapplied, the operators are notified and the
 * customer is refunded (`compensate`). Direct activations pass `compensate: false` and get the error.
 */
export async function handlePaymentSuccess({
  services,
  payment,
  systemNow,
  compensate = true,
}: {
  services: BillingServices;
  payment: PaymentSuccess;
  systemNow: Date;
  compensate?: boolean;
}): Promise<PipelineResult> {
  if (payment.checkoutId === null) {
    // A charge Abono made itself (a renewal to a stored card): recorded when it was charged.
    const recorded = await findProviderPayment({
      executor: services.db,
      provider: payment.provider,
      providerPaymentId: payment.providerPaymentId,
    });
    return recorded
      ? { outcome: "duplicate", checkout: null }
      : { outcome: "ignored", reason: "the payment names no Abono checkout" };
  }
  const [found] = await services.db
    .select()
    .from(checkouts)
    .where(eq(checkouts.id, payment.checkoutId));
  if (!found) return { outcome: "ignored", reason: `unknown checkout ${payment.checkoutId}` };
  if (found.provider !== payment.provider) {
    return {
      outcome: "ignored",
      reason: `checkout ${found.id} is paid through ${found.provider}, not ${payment.provider}`,
    };
  }
  const actor = `system:${payment.provider}`;
  const prepaid: PrepaidPayment = { ...payment };
  try {
    return await runBillingOperation<PipelineResult>({
      services,
      organizationId: found.organizationId,
      systemNow,
      actor: found.createdBy,
      prepaid,
      async operation(context) {
        const { tx, now } = context;
        const already = await findProviderPayment({
          executor: tx,
          provider: payment.provider,
          providerPaymentId: payment.providerPaymentId,
        });
        const checkout = await getCheckout({ executor: tx, checkoutId: found.id, forUpdate: true });
        if (already) {
          prepaid.recordedBefore = true;
          return { outcome: "duplicate", checkout };
        }
        if (checkout.status === "completed" || checkout.status === "canceled") {
          throw invalidState(`Checkout ${checkout.id} is already ${checkout.status}.`);
        }
        if (payment.amount !== checkout.amount || payment.currency !== checkout.currency) {
          throw invalidState(
            `The payment (${payment.amount} ${payment.currency}) differs from the checkout's amount (${checkout.amount} ${checkout.currency}).`,
          );
        }

        let subscription: SubscriptionView;
        let invoices: Invoice[];
        // The quote holds only for the subscription it was made against (none, for a first purchase):
        // a renewal, another checkout or a plan change since then makes it stale.
        const live = await findLiveSubscription({
          executor: tx,
          organizationId: checkout.organizationId,
        });
        if (
          (live?.id ?? null) !== checkout.basisSubscriptionId ||
          (live && live.currentPeriodEnd.getTime() !== checkout.basisPeriodEnd?.getTime())
        ) {
          throw invalidState(
            "The organization's subscription changed after the checkout was quoted; the quote no longer applies.",
          );
        }
        if (checkout.isUpgrade) {
          const change = await changePlanWithin(context, {
            organizationId: checkout.organizationId,
            request: { planId: checkout.planId, interval: checkout.interval, timing: "now" },
            preview: false,
            actor,
            prorationAt: checkout.quotedAt,
          });
          if (change.preview) throw new Error("a plan change ran as a preview");
          ({ subscription, invoices } = change.result);
        } else {
          const created = await subscribeWithin(context, {
            organizationId: checkout.organizationId,
            planId: checkout.planId,
            interval: checkout.interval,
            couponCode: checkout.couponCode ?? undefined,
            currency: checkout.currency,
            replaceExisting: true,
            actor,
          });
          subscription = created.subscription;
          invoices = [created.invoice];
        }

        const [completed = checkout] = await tx
          .update(checkouts)
          .set({
            status: "completed",
            paymentId: prepaid.applied?.paymentId ?? null,
            subscriptionId: subscription.id,
            invoiceId: prepaid.applied?.invoiceId ?? invoices.at(-1)?.id ?? null,
            failureCode: null,
            failureMessage: null,
            completedAt: now,
            updatedAt: now,
          })
          .where(eq(checkouts.id, checkout.id))
          .returning();
        if (payment.provider !== "direct") {
          await writeProviderTrace({
            executor: tx,
            organizationId: checkout.organizationId,
            provider: payment.provider,
            data: {
              lastPaymentAt: now.toISOString(),
              providerPaymentId: payment.providerPaymentId,
              checkoutId: checkout.id,
              providerCheckoutId: checkout.providerCheckoutId,
              planId: checkout.planId,
              interval: checkout.interval,
              subscriptionId: subscription.id,
            },
            now,
          });
        }
        for (const job of [
          purchaseEmailJob,
          userPaymentNotificationJob,
          adminPaymentNotificationJob,
        ]) {
          await enqueueJob(tx, job, { checkoutId: checkout.id });
        }
        await recordAudit({
          executor: tx,
          entry: {
            action: "payment.succeeded",
            actor,
            organizationId: checkout.organizationId,
            after: {
              checkoutId: checkout.id,
              paymentId: prepaid.applied?.paymentId ?? null,
              provider: payment.provider,
              providerPaymentId: payment.providerPaymentId,
              amount: payment.amount,
              currency: payment.currency,
              planId: checkout.planId,
              interval: checkout.interval,
              subscriptionId: subscription.id,
            },
            metadata: { isUpgrade: checkout.isUpgrade },
          },
          now,
        });
        await publishEvent({
          executor: tx,
          type: "checkout.completed",
          organizationId: checkout.organizationId,
          data: {
            checkoutId: checkout.id,
            subscriptionId: subscription.id,
            planId: checkout.planId,
            isUpgrade: checkout.isUpgrade,
          },
          now,
          queueName: context.queueName,
        });
        return { outcome: "processed", checkout: completed, subscription, invoices };
      },
    });
  } catch (error) {
    if (!(error instanceof AbonoError) || !compensate) throw error;
    return recordUnappliedPayment({
      services,
      checkout: found,
      payment,
      reason: error.message,
      systemNow,
    });
  }
}
