import type { CouponTerms } from "../invoicing/compute-invoice-totals.ts";
import { percentOf } from "../money/index.ts";

/**
 * docs/billing.md "Coupons and prorated lines": the discount on a prorated charge (a new plan's remaining
 * time, seats added mid-period) under the coupon in force for the period. A percentage discounts it by
 * that percentage, as it discounts full charges. An amount off is taken once per period, from the
 * invoice that starts it, so a prorated charge only gets the part of it that the credit of the same
 * change gave back (`carriedOver`: the coupon's share of the unused time), up to the charge.
 */
export function proratedChargeDiscount({
  amount,
  coupon,
  carriedOver,
}: {
  amount: bigint;
  coupon: CouponTerms | null;
  carriedOver: bigint;
}): bigint {
  if (coupon === null || amount <= 0n) return 0n;
  if (coupon.percentOff !== null) return percentOf({ amount, percent: coupon.percentOff });
  return carriedOver < amount ? carriedOver : amount;
}
