import { prorateSum, prorationFraction, type Share } from "../money/index.ts";

/**
 * One charge (or credit) of the current period for the plan or for one add-on, as it was invoiced: its
 * amount, the discount it carried, and the time `[periodStart, periodEnd)` it paid for.
 */
export interface PeriodCharge {
  amount: bigint;
  discount: bigint;
  periodStart: Date;
  periodEnd: Date;
}

/** What the rest of a period is worth: at the prices actually charged, and the discount that came with them. */
export interface UnusedValue {
  /** `Σ (amount − discount) × share of its own time still ahead`, rounded once; never below 0. */
  value: bigint;
  /** The same of the discounts alone: the part of the coupon that applied to the time still ahead. */
  discount: bigint;
}

/**
 * docs/billing.md "What unused time is worth": the unused time of the plan (or of an add-on) is valued at
 * what was actually charged for it, never at list price. Each charge of the period, net of its discount,
 * is prorated by seconds over the time it paid for (`f = (end − now) / (end − start)`), the credits
 * already given for it count against it, and the sum is rounded once. `share` takes part of it (2 of 5
 * seats). A charge nobody paid (100% off) is worth nothing, so crediting it can create no money.
 */
export function computeUnusedValue({
  charges,
  now,
  share,
}: {
  charges: readonly PeriodCharge[];
  now: Date;
  share?: Share;
}): UnusedValue {
  const timed = charges.filter((charge) => charge.periodEnd > charge.periodStart);
  const ahead = (charge: PeriodCharge) =>
    prorationFraction({ periodStart: charge.periodStart, periodEnd: charge.periodEnd, now });
  const value = prorateSum({
    parts: timed.map((charge) => ({
      amount: charge.amount - charge.discount,
      fraction: ahead(charge),
    })),
    share,
  });
  const discount = prorateSum({
    parts: timed.map((charge) => ({ amount: charge.discount, fraction: ahead(charge) })),
    share,
  });
  return { value: value > 0n ? value : 0n, discount: discount > 0n ? discount : 0n };
}
