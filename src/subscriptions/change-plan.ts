import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import {
  type BillingContext,
  type BillingServices,
  runBillingOperation,
} from "../billing/billing-operation.ts";
import { loadAddonVersions } from "../catalog/addons.ts";
import { getPlans } from "../catalog/plans.ts";
import { subscriptions } from "../db/schema/index.ts";
import { invalidState, validationError } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { availableBalance } from "../invoicing/balance-ledger.ts";
import { type Invoice, issueInvoice, newInvoiceId } from "../invoicing/invoices.ts";
import { type PricedLine, priceInvoice } from "../invoicing/price-invoice.ts";
import { summarizeTaxes, type TaxSummaryEntry } from "../invoicing/tax-summary.ts";
import { taxCustomerOf } from "../organizations/billing-details.ts";
import type { LineTax } from "../taxes/tax-calculator.ts";
import type { Interval } from "../time/index.ts";
import { computePlanChange } from "./compute-plan-change.ts";
import { registerFounder } from "./founders.ts";
import { periodAddons } from "./period-addons.ts";
import type { PeriodAddon } from "./period-charge-lines.ts";
import { loadPeriodCharges } from "./period-charges.ts";
import { findOwedToDate, settleOwedToDate } from "./settle-owed-to-date.ts";
import { subscriptionDiscount } from "./subscription-discount.ts";
import {
  findLiveSubscription,
  listItems,
  requirePrice,
  type SubscriptionRow,
  setEntitlement,
} from "./subscription-records.ts";
import {
  type SubscriptionView,
  subscriptionView,
  toSubscriptionView,
} from "./subscription-view.ts";

export interface ChangeRequest {
  planId: string;
  interval: Interval;
  timing: "now" | "period_end";
}

export interface PreviewLine {
  description: string;
  amount: bigint;
  /** The part of the discount on this line. */
  discount: bigint;
  proration: boolean;
  periodStart: Date | null;
  periodEnd: Date | null;
  kind: string;
  /** The line's amount after its share of the discount, and its tax (docs/billing.md "Taxes"). */
  taxableAmount: bigint;
  tax: LineTax | null;
}

export interface ChangePreview {
  currency: string;
  lines: PreviewLine[];
  subtotal: bigint;
  discount: bigint;
  tax: bigint;
  /** What the invoice comes to, tax included; `amountDue` is this less the balance applied. */
  total: bigint;
  taxes: TaxSummaryEntry[];
  reverseCharge: boolean;
  balanceApplied: bigint;
  amountDue: bigint;
  creditedToBalance: bigint;
  balanceAfter: bigint;
  effectiveAt: Date;
  /**
   * What is owed to date and is invoiced before the change, with the totals of that invoice (tax
   * included): it is paid (`amountDue`), or, when removed add-ons make it negative, credited to the
   * balance (`creditedToBalance`). Null when nothing is owed.
   */
  settlement: {
    lines: PreviewLine[];
    subtotal: bigint;
    discount: bigint;
    tax: bigint;
    total: bigint;
    amountDue: bigint;
    creditedToBalance: bigint;
  } | null;
}

export type ChangeResult =
  | { preview: true; result: ChangePreview }
  | { preview: false; result: { subscription: SubscriptionView; invoices: Invoice[] } };

/**
 * The one pipeline for previewing and executing a plan change, so a preview never differs from what the change does: setup (lock and load) →
 * compute (pure) → validate → preview | execute → publish. A preview runs the same code and stops before
 * writing, so it never disagrees with the change.
 */
export async function changePlan({
  services,
  organizationId,
  request,
  preview,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  request: ChangeRequest;
  preview: boolean;
  actor: string;
  systemNow: Date;
}): Promise<ChangeResult> {
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    operation: (context) => changePlanWithin(context, { organizationId, request, preview, actor }),
  });
}

/**
 * `changePlan` inside a running billing operation. `prorationAt` computes the proration as of an earlier
 * instant of the current period (a checkout quoted then and paid now, like Stripe's `proration_date`).
 */
export async function changePlanWithin(
  context: BillingContext,
  {
    organizationId,
    request,
    preview,
    actor,
    prorationAt,
  }: {
    organizationId: string;
    request: ChangeRequest;
    preview: boolean;
    actor: string;
    prorationAt?: Date;
  },
): Promise<ChangeResult> {
  const { tx, organization, now, queueName, chargeOrAbort, services } = context;
  // Setup
  const subscription = await findLiveSubscription({ executor: tx, organizationId });
  if (!subscription) {
    throw invalidState(
      `Organization ${organizationId} has no subscription to change; create one with POST /v1/organizations/${organizationId}/subscription.`,
    );
  }
  const [currentPlan, targetPlan] = await getPlans({
    db: tx,
    references: [
      { planId: subscription.planId, version: subscription.planVersion },
      { planId: request.planId },
    ],
  });
  if (!currentPlan || !targetPlan) throw new Error("getPlans answered fewer plans than asked for");
  const messages = billingMessages(organization.locale);

  // Validate
  if (targetPlan.archivedAt !== null) {
    throw validationError(
      `planId: the plan "${request.planId}" is archived and not offered any more.`,
    );
  }
  if (subscription.status === "past_due") {
    throw invalidState(
      "The subscription is past due; its open invoice must be paid before a plan change.",
    );
  }
  if (subscription.planId === request.planId && subscription.interval === request.interval) {
    throw invalidState(
      `The subscription is already on ${request.planId} (${request.interval}ly).`,
      { subscription: await subscriptionView({ executor: tx, subscription }) },
    );
  }
  const currentAmount = requirePrice({
    plan: currentPlan,
    interval: subscription.interval,
    currency: subscription.currency,
  });
  const targetAmount = requirePrice({
    plan: targetPlan,
    interval: request.interval,
    currency: subscription.currency,
  });
  const items = await listItems({ executor: tx, subscriptionId: subscription.id });
  const addons = periodAddons({
    items,
    addons: await loadAddonVersions(
      tx,
      items.map((item) => [item.addonId, item.addonVersion]),
    ),
  });
  if (request.interval !== subscription.interval) {
    requireAddonPrices({ subscription, addons, interval: request.interval });
  }
  const charges = await loadPeriodCharges({ executor: tx, subscription });
  const couponInForce = await subscriptionDiscount({
    tx,
    subscription,
    periodStart: subscription.currentPeriodStart,
  });

  // Compute
  const owed = await findOwedToDate({
    executor: tx,
    organizationId,
    overagePrices: currentPlan.overage,
    currency: subscription.currency,
    messages,
    now,
  });
  const change = computePlanChange({
    current: {
      planId: currentPlan.id,
      name: currentPlan.name,
      interval: subscription.interval,
      unitAmount: currentAmount,
    },
    target: {
      planId: targetPlan.id,
      name: targetPlan.name,
      interval: request.interval,
      unitAmount: targetAmount,
    },
    addons,
    currency: subscription.currency,
    charges,
    coupon: couponInForce,
    period: { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd },
    anchor: subscription.anchorAt,
    trialing: subscription.status === "trialing",
    now: prorationAt ?? now,
    timing: request.timing,
    messages,
  });
  // The coupon of the invoice: for a new period, the coupon in force for it (on its full charges).
  const coupon = change.resetsAnchor
    ? await subscriptionDiscount({ tx, subscription, periodStart: change.period.start })
    : couponInForce;
  const balance = await availableBalance({ executor: tx, organizationId });
  // Priced as issueInvoice prices them: the same discounts, taxes and balance.
  const pricing = {
    executor: tx,
    taxCalculator: services.taxCalculator,
    customer: taxCustomerOf(organization),
    currency: subscription.currency,
    now,
  };
  const settlementPriced = await priceInvoice({
    ...pricing,
    kind: "settlement",
    lines: owed.lines,
    coupon: null,
    balanceAvailable: 0n,
  });
  const settlementTotals = settlementPriced.totals;
  const balanceBeforeChange = balance + settlementTotals.creditedToBalance;
  const priced = await priceInvoice({
    ...pricing,
    kind: "subscription",
    lines: change.lines,
    coupon,
    balanceAvailable: balanceBeforeChange,
  });
  const totals = priced.totals;

  if (preview) {
    return {
      preview: true as const,
      result: {
        currency: subscription.currency,
        lines: priced.lines.map(toPreviewLine),
        subtotal: totals.subtotal,
        discount: totals.discount,
        tax: totals.tax,
        total: totals.total,
        taxes: summarizeTaxes(priced.lines),
        reverseCharge: priced.reverseCharge,
        balanceApplied: totals.balanceApplied,
        amountDue: totals.amountDue,
        creditedToBalance: totals.creditedToBalance,
        balanceAfter: balanceBeforeChange - totals.balanceApplied + totals.creditedToBalance,
        effectiveAt: change.effectiveAt,
        settlement:
          owed.lines.length === 0
            ? null
            : {
                lines: settlementPriced.lines.map(toPreviewLine),
                subtotal: settlementTotals.subtotal,
                discount: settlementTotals.discount,
                tax: settlementTotals.tax,
                total: settlementTotals.total,
                amountDue: settlementTotals.amountDue,
                creditedToBalance: settlementTotals.creditedToBalance,
              },
      },
    };
  }

  // Execute: settle what is owed to date first; a decline stops everything here.
  const issued: Invoice[] = [];
  const settlement = await settleOwedToDate({
    context,
    subscription,
    owed,
    billingReason: "settlement_before_change",
  });
  if (settlement) issued.push(settlement);

  // A plan change keeps the items: both views are built from the items read above.
  const before = toSubscriptionView({ subscription, items });
  let updated = subscription;
  let toCharge: Invoice | null = null;
  if (request.timing === "period_end") {
    [updated = subscription] = await tx
      .update(subscriptions)
      .set({
        scheduledChange: {
          planId: request.planId,
          interval: request.interval,
          effectiveAt: subscription.currentPeriodEnd.toISOString(),
        },
        updatedAt: now,
      })
      .where(eq(subscriptions.id, subscription.id))
      .returning();
  } else {
    // Everything that names no invoice number is written before the charge, which numbers the invoice:
    // the issuer's number counter, shared by every organization, is then held from the number to the
    // commit for the payment, the invoice's status and the events only. A decline rolls all of it back.
    const founderBenefit =
      change.resetsAnchor && subscription.founderBenefit === null
        ? await registerFounder({
            executor: tx,
            config: services.config,
            organizationId,
            subscriptionId: subscription.id,
            interval: request.interval,
            planVersion: targetPlan.version,
            now,
          })
        : null;
    [updated = subscription] = await tx
      .update(subscriptions)
      .set({
        planId: targetPlan.id,
        planVersion: targetPlan.version,
        interval: request.interval,
        status: "active",
        currentPeriodStart: change.period.start,
        currentPeriodEnd: change.period.end,
        ...(change.resetsAnchor
          ? {
              anchorAt: change.period.start,
              endsAt:
                request.interval === "year" && !services.config.lifecycle.annualAutoRenew
                  ? change.period.end
                  : null,
            }
          : {}),
        ...(founderBenefit ? { founderBenefit } : {}),
        trialEndsAt: subscription.status === "trialing" ? null : subscription.trialEndsAt,
        scheduledChange: null,
        updatedAt: now,
      })
      .where(eq(subscriptions.id, subscription.id))
      .returning();
    await setEntitlement({
      executor: tx,
      organizationId,
      planId: targetPlan.id,
      planVersion: targetPlan.version,
      status: "active",
      trialEndsAt: null,
      source: "subscription",
      now,
    });
    if (change.lines.length > 0) {
      toCharge = await issueInvoice({
        executor: tx,
        draft: {
          id: newInvoiceId(now),
          organizationId,
          subscriptionId: subscription.id,
          kind: "subscription",
          billingReason: "subscription_change",
          currency: subscription.currency,
          locale: organization.locale,
          lines: change.lines,
          coupon,
          periodStart: change.period.start,
          periodEnd: change.period.end,
          periodKey: null,
        },
        services,
        now,
        // Read under the organization's lock in this transaction; the balance is as read above unless
        // a settlement was just invoiced.
        organization,
        ...(settlement ? {} : { balanceAvailable: balance }),
        // Charged below, which numbers it: the number's counter is not held across the provider's answer.
        numberAfterCharge: true,
      });
    }
  }

  // Publish (the audit entry's invoices are as issued: a charge changes neither their totals nor what
  // was due)
  const after = toSubscriptionView({ subscription: updated, items });
  await recordAudit({
    executor: tx,
    entry: {
      action:
        request.timing === "period_end" ? "subscription.change_scheduled" : "subscription.changed",
      actor,
      organizationId,
      before,
      after,
      metadata: {
        invoices: [...issued, ...(toCharge ? [toCharge] : [])].map((invoice) => ({
          id: invoice.id,
          total: invoice.total,
          amountDue: invoice.amountDue,
        })),
      },
    },
    now,
  });
  if (toCharge) issued.push(await chargeOrAbort(toCharge));
  await publishEvent(
    request.timing === "period_end"
      ? {
          executor: tx,
          type: "subscription.updated",
          organizationId,
          data: {
            subscriptionId: subscription.id,
            reason: "change_scheduled",
            scheduledChange: { planId: request.planId, interval: request.interval },
          },
          now,
          queueName,
        }
      : {
          executor: tx,
          type: "subscription.plan_changed",
          organizationId,
          data: { subscriptionId: subscription.id, planId: after.planId, interval: after.interval },
          previous: { planId: before.planId, interval: before.interval },
          now,
          queueName,
        },
  );
  return {
    preview: false as const,
    result: {
      subscription: after,
      // As charged: nothing writes them after their charge.
      invoices: issued,
    },
  };
}

/**
 * The add-ons keep their versions across a plan change, so each needs a price in the new interval: without
 * one the renewal could not invoice it. Refused up front (400) instead.
 */
function requireAddonPrices({
  subscription,
  addons,
  interval,
}: {
  subscription: SubscriptionRow;
  addons: readonly PeriodAddon[];
  interval: Interval;
}): void {
  for (const addon of addons) {
    const priced = addon.prices.some(
      (price) => price.interval === interval && price.currency === subscription.currency,
    );
    if (!priced) {
      throw validationError(
        `interval: the add-on "${addon.addonId}" on this subscription has no ${interval}ly price in ${subscription.currency}; remove it (POST /v1/organizations/${subscription.organizationId}/subscription/items with quantity 0) before changing to ${interval}ly billing.`,
        { addonId: addon.addonId },
      );
    }
  }
}

function toPreviewLine(line: PricedLine): PreviewLine {
  return {
    description: line.description,
    amount: line.amount,
    discount: line.discount ?? 0n,
    proration: line.proration,
    periodStart: line.periodStart,
    periodEnd: line.periodEnd,
    kind: line.kind,
    taxableAmount: line.taxableAmount,
    tax: line.tax,
  };
}
