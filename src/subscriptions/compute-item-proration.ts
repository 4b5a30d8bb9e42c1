import type { CouponTerms } from "../invoicing/compute-invoice-totals.ts";
import { prorate, prorationFraction } from "../money/index.ts";
import { type Interval, type Period, pricedPeriod } from "../time/index.ts";
import { computeUnusedValue, type PeriodCharge } from "./compute-unused-value.ts";
import { proratedChargeDiscount } from "./prorated-charge-discount.ts";

/**
 * The pending prorated item of an add-on quantity change mid-period (docs/billing.md "Add-ons"), or null
 * when it comes to nothing. Adding `Δ` charges `+round(unitAmount × Δ × f)` for the rest of the period,
 * discounted by the coupon in force (`proratedChargeDiscount`). Removing `Δ` of the `previous` units
 * credits `Δ / previous` of what the add-on's charges of the period are still worth
 * (`computeUnusedValue`): never more than was paid for those units, so units billed at 100% off give
 * nothing back.
 */
export function computeItemProration({
  unitAmount,
  previous,
  target,
  period,
  anchor,
  interval,
  now,
  charges,
  coupon,
}: {
  unitAmount: bigint;
  previous: bigint;
  target: bigint;
  period: Period;
  /** The subscription's anchor and interval: a stub is priced over the full interval (`pricedPeriod`). */
  anchor: Date;
  interval: Interval;
  now: Date;
  /** The add-on's charges of the current period (`loadPeriodCharges`). */
  charges: readonly PeriodCharge[];
  /** The coupon (or founder's discount) in force for the current period. */
  coupon: CouponTerms | null;
}): { amount: bigint; discount: bigint } | null {
  const delta = target - previous;
  if (delta > 0n) {
    const pricedOver = pricedPeriod({ period, anchor, interval });
    const amount = prorate({
      unitAmount,
      quantity: delta,
      fraction: prorationFraction({
        periodStart: pricedOver.start,
        periodEnd: pricedOver.end,
        now,
      }),
    });
    if (amount === 0n) return null;
    return { amount, discount: proratedChargeDiscount({ amount, coupon, carriedOver: 0n }) };
  }
  if (delta === 0n || previous <= 0n) return null;
  const { value } = computeUnusedValue({
    charges,
    now,
    share: { numerator: -delta, denominator: previous },
  });
  return value === 0n ? null : { amount: -value, discount: 0n };
}
