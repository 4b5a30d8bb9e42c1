import type { Price } from "../catalog/catalog-types.ts";
import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";
import { prorate, prorationFraction } from "../money/index.ts";
import type { Interval, Period } from "../time/index.ts";

/** An add-on item of the subscription as a period bills it. */
export interface PeriodAddon {
  addonId: string;
  name: string;
  quantity: bigint;
  prices: readonly Price[];
}

/**
 * The lines that start a period (docs/billing.md "The lines that start a period"), for every path that
 * starts one: subscribing (and subscribing again), a change that starts a new period (interval change,
 * leaving a free plan or a trial), an interval change at renewal, a trial's end, and every renewal,
 * single or batched. The plan's price and each add-on's price × quantity for the interval, in the
 * subscription's currency; a first period cut short by the `first_of_month` anchor (`cutFrom`) charges
 * each of them prorated over the full period it is cut from; a trial is one free line (add-ons are
 * billed from its end). Renewals add the ended period's pending items and overage after these lines;
 * changes put their credits before them.
 */
export function periodChargeLines({
  plan,
  addons,
  interval,
  currency,
  period,
  cutFrom = null,
  trial = false,
  messages,
}: {
  plan: { name: string; unitAmount: bigint };
  addons: readonly PeriodAddon[];
  interval: Interval;
  currency: string;
  period: Period;
  cutFrom?: Period | null;
  trial?: boolean;
  messages: BillingMessages;
}): DraftLine[] {
  const covering = { periodStart: period.start, periodEnd: period.end };
  if (trial) {
    return [
      {
        kind: "trial",
        description: messages.trial({ plan: plan.name }),
        amount: 0n,
        quantity: 1n,
        unitAmount: 0n,
        proration: false,
        ...covering,
      },
    ];
  }
  const charge = (unitAmount: bigint, quantity: bigint) =>
    cutFrom
      ? prorate({
          unitAmount,
          quantity,
          fraction: prorationFraction({
            periodStart: cutFrom.start,
            periodEnd: cutFrom.end,
            now: period.start,
          }),
        })
      : unitAmount * quantity;
  const planLine: DraftLine = {
    kind: "plan",
    description: cutFrom
      ? messages.firstPeriod({ plan: plan.name })
      : messages.planCharge({ plan: plan.name, interval }),
    amount: charge(plan.unitAmount, 1n),
    quantity: 1n,
    unitAmount: plan.unitAmount,
    proration: false,
    ...covering,
  };
  const addonLines = addons.map((addon): DraftLine => {
    const price = addon.prices.find(
      (entry) => entry.interval === interval && entry.currency === currency,
    );
    if (!price) throw new Error(`Add-on ${addon.name} has no ${interval}ly price in ${currency}`);
    return {
      kind: "addon",
      description: messages.addonCharge({ addon: addon.name, quantity: addon.quantity }),
      amount: charge(price.unitAmount, addon.quantity),
      quantity: addon.quantity,
      unitAmount: price.unitAmount,
      proration: false,
      addonId: addon.addonId,
      ...covering,
    };
  });
  return [planLine, ...addonLines];
}
