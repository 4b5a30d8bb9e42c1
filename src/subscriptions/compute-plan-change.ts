import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { CouponTerms, DraftLine } from "../invoicing/compute-invoice-totals.ts";
import { prorate, prorationFraction } from "../money/index.ts";
import { addInterval, type Interval, type Period, pricedPeriod } from "../time/index.ts";
import { type PeriodAddon, periodChargeLines } from "./period-charge-lines.ts";
import type { PeriodCharges } from "./period-charges.ts";
import { proratedChargeDiscount } from "./prorated-charge-discount.ts";
import { unusedTimeLines } from "./unused-time-lines.ts";

export interface PricedPlan {
  planId: string;
  name: string;
  interval: Interval;
  unitAmount: bigint;
}

export interface PlanChangeComputation {
  lines: DraftLine[];
  /** The period the subscription is in after the change. */
  period: Period;
  /** True when the change starts a full new period now (interval change, or leaving free or trial). */
  resetsAnchor: boolean;
  effectiveAt: Date;
}

/**
 * Proration of an immediate plan change (docs/billing.md "Changing plan"), by seconds,
 * `f = (periodEnd − now) / (periodEnd − periodStart)` (over the full interval for a `first_of_month`
 * stub, as the stub was charged: `pricedPeriod`):
 * - same interval: a credit for the plan's unused time, worth what was charged for it
 *   (`computeUnusedValue`), and `+round(new × f)` for the new plan's remaining time, discounted by the
 *   coupon in force (`proratedChargeDiscount`), over `[now, periodEnd)`; add-ons go on unchanged;
 * - interval change, or from a free plan or a trial: credits for the unused time of the plan and of each
 *   add-on, then a full new period starts now, billed by `periodChargeLines` (plan and add-ons) like
 *   every period start.
 * `timing: "period_end"` changes nothing now.
 */
export function computePlanChange({
  current,
  target,
  addons,
  currency,
  charges,
  coupon,
  period,
  anchor,
  trialing,
  now,
  timing,
  messages,
}: {
  current: PricedPlan;
  target: PricedPlan;
  /** The subscription's add-on items, with their prices. */
  addons: readonly PeriodAddon[];
  currency: string;
  /** What was charged for the current period (`loadPeriodCharges`). */
  charges: PeriodCharges;
  /** The coupon (or founder's discount) in force for the current period. */
  coupon: CouponTerms | null;
  period: Period;
  /** The subscription's anchor: a first period that ends at it is a stub, priced over the full interval. */
  anchor: Date;
  trialing: boolean;
  now: Date;
  timing: "now" | "period_end";
  messages: BillingMessages;
}): PlanChangeComputation {
  if (timing === "period_end") {
    return { lines: [], period, resetsAnchor: false, effectiveAt: period.end };
  }
  const paidTimeLeft = !trialing && current.unitAmount > 0n;
  const sameInterval = current.interval === target.interval;
  if (sameInterval && paidTimeLeft) {
    const { lines: credit, planUnused } = unusedTimeLines({
      plan: current,
      addons: [],
      charges,
      now,
      periodEnd: period.end,
      messages,
    });
    const pricedOver = pricedPeriod({ period, anchor, interval: current.interval });
    const amount = prorate({
      unitAmount: target.unitAmount,
      quantity: 1,
      fraction: prorationFraction({
        periodStart: pricedOver.start,
        periodEnd: pricedOver.end,
        now,
      }),
    });
    return {
      lines: [
        ...credit,
        {
          kind: "proration",
          description: messages.remainingTime({ plan: target.name }),
          amount,
          discount: proratedChargeDiscount({ amount, coupon, carriedOver: planUnused.discount }),
          quantity: 1n,
          unitAmount: target.unitAmount,
          proration: true,
          periodStart: now,
          periodEnd: period.end,
        },
      ],
      period,
      resetsAnchor: false,
      effectiveAt: now,
    };
  }
  const credits = trialing
    ? []
    : unusedTimeLines({
        plan: current,
        addons: addons.map((addon) => ({
          addonId: addon.addonId,
          name: addon.name,
          quantity: addon.quantity,
          unitAmount: priceOf({ addon, interval: current.interval, currency }),
        })),
        charges,
        now,
        periodEnd: period.end,
        messages,
      }).lines;
  const newPeriod: Period = {
    start: now,
    end: addInterval({ anchor: now, interval: target.interval, count: 1 }),
  };
  return {
    lines: [
      ...credits,
      ...periodChargeLines({
        plan: target,
        addons,
        interval: target.interval,
        currency,
        period: newPeriod,
        messages,
      }),
    ],
    period: newPeriod,
    resetsAnchor: true,
    effectiveAt: now,
  };
}

function priceOf({
  addon,
  interval,
  currency,
}: {
  addon: PeriodAddon;
  interval: Interval;
  currency: string;
}): bigint {
  return (
    addon.prices.find((price) => price.interval === interval && price.currency === currency)
      ?.unitAmount ?? 0n
  );
}
