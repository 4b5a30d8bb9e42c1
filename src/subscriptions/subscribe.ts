import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import {
  type BillingContext,
  type BillingServices,
  quoteBillingOperation,
  runBillingOperation,
} from "../billing/billing-operation.ts";
import { fixBillingCurrency } from "../billing/fix-billing-currency.ts";
import { getPlan } from "../catalog/plans.ts";
import { subscriptions } from "../db/schema/index.ts";
import { invalidState, validationError } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { newId } from "../ids.ts";
import {
  getInvoice,
  type Invoice,
  invoicePeriodKey,
  issueInvoice,
  newInvoiceId,
} from "../invoicing/invoices.ts";
import { requireNoLiveStoreSubscription } from "../stores/require-no-live-store-subscription.ts";
import { addDays, addInterval, type Interval, type Period } from "../time/index.ts";
import { firstPaidPeriod } from "./first-paid-period.ts";
import { registerFounder } from "./founders.ts";
import { periodChargeLines } from "./period-charge-lines.ts";
import { couponTermsFor, redeemCoupon } from "./redeem-coupon.ts";
import { subscriptionDiscount } from "./subscription-discount.ts";
import { findLiveSubscription, requirePrice, setEntitlement } from "./subscription-records.ts";
import { type SubscriptionView, subscriptionView } from "./subscription-view.ts";

export interface SubscribeRequest {
  organizationId: string;
  planId: string;
  interval: Interval;
  couponCode: string | undefined;
  currency: string | undefined;
  /** Expire a live subscription instead of refusing (a new plan bought through checkout). */
  replaceExisting?: boolean;
  actor: string;
}

/**
 * The first subscription of an organization: a trial when the plan has trial days, otherwise the first
 * period (prorated to the next 1st with the `first_of_month` anchor) invoiced and charged at once. A
 * declined payment leaves no subscription (402). A 100% coupon or a free plan needs no payment method.
 */
export async function subscribe({
  services,
  systemNow,
  ...request
}: SubscribeRequest & {
  services: BillingServices;
  systemNow: Date;
}): Promise<{ subscription: SubscriptionView; invoice: Invoice }> {
  return runBillingOperation({
    services,
    organizationId: request.organizationId,
    systemNow,
    actor: request.actor,
    operation: (context) => subscribeWithin(context, request),
  });
}

/**
 * The first invoice of a subscription as it would be issued now, without writing anything: what a
 * checkout asks the customer to pay. Runs `subscribe`'s own code and stops where it would charge.
 */
export async function quoteSubscribe({
  services,
  systemNow,
  ...request
}: SubscribeRequest & { services: BillingServices; systemNow: Date }): Promise<Invoice> {
  return quoteBillingOperation({
    services,
    organizationId: request.organizationId,
    systemNow,
    actor: request.actor,
    operation: (context) => subscribeWithin(context, request),
  });
}

/** `subscribe` inside a running billing operation (the payment success pipeline runs it with a prepaid payment). */
export async function subscribeWithin(
  { tx, organization, now, queueName, chargeOrAbort, services }: BillingContext,
  {
    organizationId,
    planId,
    interval,
    couponCode,
    currency: requestedCurrency,
    replaceExisting = false,
    actor,
  }: SubscribeRequest,
): Promise<{ subscription: SubscriptionView; invoice: Invoice }> {
  if (organization.status !== "active") {
    throw invalidState(
      `Organization ${organizationId} is ${organization.status}; it cannot subscribe.`,
    );
  }
  await requireNoLiveStoreSubscription({ executor: tx, organizationId });
  const live = await findLiveSubscription({ executor: tx, organizationId });
  if (live && replaceExisting) {
    // Buying a new plan outright marks the previous subscription expired, in the same transaction.
    await tx
      .update(subscriptions)
      .set({ status: "expired", endedAt: now, updatedAt: now })
      .where(eq(subscriptions.id, live.id));
    await recordAudit({
      executor: tx,
      entry: {
        action: "subscription.expired",
        actor,
        organizationId,
        before: { subscriptionId: live.id, status: live.status },
        after: { subscriptionId: live.id, status: "expired" },
      },
      now,
    });
  } else if (live) {
    throw invalidState(
      `Organization ${organizationId} already has a ${live.status} subscription to ${live.planId}; change it with POST /v1/organizations/${organizationId}/subscription/change.`,
      { subscriptionId: live.id },
    );
  }
  const plan = await getPlan({ db: tx, planId });
  if (plan.archivedAt !== null) {
    throw validationError(`planId: the plan "${planId}" is archived and not offered any more.`);
  }
  const currency = chooseCurrency({
    organizationCurrency: organization.currency,
    requestedCurrency,
    offered: plan.prices
      .filter((price) => price.interval === interval)
      .map((price) => price.currency),
    planId,
    interval,
  });
  const unitAmount = requirePrice({ plan, interval, currency });
  const subscriptionId = newId("sub", now.getTime());
  const messages = billingMessages(organization.locale);

  const trialing = plan.trialDays > 0;
  // Later periods are counted from `anchorAt`; a trial's renewal picks the anchor when it ends.
  const { period, anchorAt, cutFrom } = trialing
    ? trialPeriod({ start: now, days: plan.trialDays })
    : firstPaidPeriod({ billingAnchor: organization.billingAnchor, interval, start: now });
  // A new subscription has no add-on items yet.
  const lines = periodChargeLines({
    plan: { name: plan.name, unitAmount },
    addons: [],
    interval,
    currency,
    period,
    cutFrom,
    trial: trialing,
    messages,
  });

  const [subscriptionRow] = await tx
    .insert(subscriptions)
    .values({
      id: subscriptionId,
      organizationId,
      planId,
      planVersion: plan.version,
      interval,
      currency,
      status: trialing ? "trialing" : "active",
      anchorAt,
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
      trialEndsAt: trialing ? period.end : null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!subscriptionRow) throw new Error("subscription insert returned no row");
  const coupon = couponCode
    ? await redeemCoupon({
        executor: tx,
        code: couponCode,
        organizationId,
        subscriptionId,
        planId,
        currency,
        now,
      })
    : null;
  const founderBenefit = await registerFounder({
    executor: tx,
    config: services.config,
    organizationId,
    subscriptionId,
    interval,
    planVersion: plan.version,
    now,
  });
  const endsAt =
    interval === "year" && !services.config.lifecycle.annualAutoRenew
      ? addInterval({ anchor: now, interval: "year", count: 1 })
      : null;
  const [subscription = subscriptionRow] = await tx
    .update(subscriptions)
    .set({
      couponCode: coupon?.code ?? null,
      couponRedeemedAt: coupon ? now : null,
      founderBenefit,
      endsAt,
    })
    .where(eq(subscriptions.id, subscriptionId))
    .returning();
  const discount = coupon
    ? couponTermsFor({ coupon, redeemedAt: now, periodStart: period.start, firstInvoice: true })
    : await subscriptionDiscount({ tx, subscription, periodStart: period.start });

  const invoice = await issueInvoice({
    executor: tx,
    draft: {
      id: newInvoiceId(now),
      organizationId,
      subscriptionId,
      kind: "subscription",
      billingReason: "subscription_create",
      currency,
      locale: organization.locale,
      lines,
      coupon: discount,
      periodStart: period.start,
      periodEnd: period.end,
      periodKey: invoicePeriodKey({ subscriptionId, periodStart: period.start }),
    },
    services,
    now,
    // Charged next, which numbers it: the number's counter is not held across the provider's answer.
    numberAfterCharge: true,
  });
  await chargeOrAbort(invoice);

  await fixBillingCurrency({ executor: tx, organization, currency, now });
  await setEntitlement({
    executor: tx,
    organizationId,
    planId,
    planVersion: plan.version,
    status: trialing ? "trialing" : "active",
    trialEndsAt: trialing ? period.end : null,
    source: "subscription",
    now,
  });
  const view = await subscriptionView({ executor: tx, subscription });
  await recordAudit({
    executor: tx,
    entry: {
      action: "subscription.created",
      actor,
      organizationId,
      after: { subscription: view, invoiceId: invoice.id, amountDue: invoice.amountDue },
    },
    now,
  });
  await publishEvent({
    executor: tx,
    type: "subscription.created",
    organizationId,
    data: { subscriptionId, planId, interval, status: subscription.status },
    now,
    queueName,
  });
  return {
    subscription: view,
    invoice: await getInvoice({ executor: tx, invoiceId: invoice.id }),
  };
}

/** A trial from `start`: its period, ending where the first paid period will be anchored. */
function trialPeriod({ start, days }: { start: Date; days: number }): {
  period: Period;
  anchorAt: Date;
  cutFrom: null;
} {
  const period = { start, end: addDays({ date: start, days }) };
  return { period, anchorAt: period.end, cutFrom: null };
}

function chooseCurrency({
  organizationCurrency,
  requestedCurrency,
  offered,
  planId,
  interval,
}: {
  organizationCurrency: string | null;
  requestedCurrency: string | undefined;
  offered: string[];
  planId: string;
  interval: Interval;
}): string {
  if (organizationCurrency !== null) {
    if (requestedCurrency !== undefined && requestedCurrency !== organizationCurrency) {
      throw validationError(
        `currency: the organization is billed in ${organizationCurrency}; it cannot subscribe in ${requestedCurrency}. Subscribe in ${organizationCurrency}, or have root switch its billing currency first (PATCH /v1/organizations/:orgId/billing-currency, allowed when nothing is open in ${organizationCurrency}).`,
      );
    }
    return organizationCurrency;
  }
  if (requestedCurrency !== undefined) return requestedCurrency;
  const [only, ...others] = offered;
  if (only !== undefined && others.length === 0) return only;
  if (only === undefined) {
    throw validationError(`interval: plan "${planId}" has no ${interval}ly price.`);
  }
  throw validationError(
    `currency: plan "${planId}" is offered in ${offered.join(", ")}; say which with "currency".`,
  );
}
