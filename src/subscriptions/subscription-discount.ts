import { eq } from "drizzle-orm";
import type { Coupon } from "../catalog/catalog-types.ts";
import type { Executor } from "../db/database.ts";
import { coupons } from "../db/schema/index.ts";
import type { CouponTerms } from "../invoicing/compute-invoice-totals.ts";
import { couponTermsFor } from "./redeem-coupon.ts";
import type { SubscriptionRow } from "./subscription-records.ts";

/**
 * The discount on a subscription invoice for a period starting at `periodStart`: the subscription's coupon
 * while it lasts, otherwise a founder's discount.
 */
export async function subscriptionDiscount({
  tx,
  subscription,
  periodStart,
}: {
  tx: Executor;
  subscription: Pick<SubscriptionRow, "couponCode" | "couponRedeemedAt" | "founderBenefit">;
  periodStart: Date;
}): Promise<(CouponTerms & { code: string }) | null> {
  const [coupon] =
    subscription.couponCode === null
      ? []
      : await tx.select().from(coupons).where(eq(coupons.code, subscription.couponCode));
  return discountTermsFor({ subscription, coupon: coupon ?? null, periodStart });
}

/** Pure part of `subscriptionDiscount`, for callers that loaded the coupon already. */
export function discountTermsFor({
  subscription,
  coupon,
  periodStart,
}: {
  subscription: Pick<SubscriptionRow, "couponRedeemedAt" | "founderBenefit">;
  coupon: Coupon | null;
  periodStart: Date;
}): (CouponTerms & { code: string }) | null {
  if (coupon && subscription.couponRedeemedAt !== null) {
    const terms = couponTermsFor({
      coupon,
      redeemedAt: subscription.couponRedeemedAt,
      periodStart,
      firstInvoice: false,
    });
    if (terms) return terms;
  }
  const benefit = subscription.founderBenefit;
  if (benefit?.kind === "discount") {
    return { code: `FOUNDER-${benefit.seat}`, percentOff: benefit.percentOff, amountOff: null };
  }
  return null;
}
