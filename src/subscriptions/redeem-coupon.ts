import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { Coupon } from "../catalog/catalog-types.ts";
import type { Executor } from "../db/database.ts";
import { couponRedemptions, coupons } from "../db/schema/index.ts";
import { conflict, validationError } from "../errors.ts";
import type { CouponTerms } from "../invoicing/compute-invoice-totals.ts";
import { addInterval } from "../time/index.ts";

/**
 * Redeems a coupon for an organization's subscription: valid, not expired, allowed for the plan, in the
 * right currency, once per organization, and within `maxRedemptions` even when many organizations redeem
 * at the same moment (the counter only moves while below the limit).
 */
export async function redeemCoupon({
  executor,
  code,
  organizationId,
  subscriptionId,
  planId,
  currency,
  now,
}: {
  executor: Executor;
  code: string;
  organizationId: string;
  subscriptionId: string;
  planId: string;
  currency: string;
  now: Date;
}): Promise<Coupon> {
  const [coupon] = await executor
    .select()
    .from(coupons)
    .where(sql`upper(${coupons.code}) = upper(${code})`);
  if (!coupon || coupon.archivedAt !== null) {
    throw validationError(`couponCode: no active coupon "${code}".`);
  }
  if (coupon.expiresAt !== null && coupon.expiresAt <= now) {
    throw validationError(
      `couponCode: the coupon ${coupon.code} expired on ${coupon.expiresAt.toISOString()}.`,
    );
  }
  if (coupon.planIds !== null && !coupon.planIds.includes(planId)) {
    throw validationError(
      `couponCode: ${coupon.code} applies only to ${coupon.planIds.join(", ")}, not to "${planId}".`,
    );
  }
  if (coupon.amountOff !== null && coupon.currency !== currency) {
    throw validationError(
      `couponCode: ${coupon.code} is in ${coupon.currency}; this subscription is in ${currency}.`,
    );
  }
  const redeemed = await executor
    .insert(couponRedemptions)
    .values({ couponCode: coupon.code, organizationId, subscriptionId, redeemedAt: now })
    .onConflictDoNothing()
    .returning();
  if (redeemed.length === 0) {
    throw validationError(`couponCode: this organization has already redeemed ${coupon.code}.`);
  }
  const counted = await executor
    .update(coupons)
    .set({ timesRedeemed: sql`${coupons.timesRedeemed} + 1` })
    .where(
      and(
        eq(coupons.code, coupon.code),
        or(
          isNull(coupons.maxRedemptions),
          sql`${coupons.timesRedeemed} < ${coupons.maxRedemptions}`,
        ),
      ),
    )
    .returning({ code: coupons.code });
  if (counted.length === 0) {
    throw conflict(
      `The coupon ${coupon.code} has reached its limit of ${coupon.maxRedemptions} redemptions.`,
    );
  }
  return coupon;
}

/**
 * The coupon's discount for an invoice of a period starting at `periodStart`: `once` only on the first
 * invoice, `repeating` for invoices of periods starting within `durationInMonths` of the redemption,
 * `forever` always.
 */
export function couponTermsFor({
  coupon,
  redeemedAt,
  periodStart,
  firstInvoice,
}: {
  coupon: Pick<Coupon, "code" | "percentOff" | "amountOff" | "duration" | "durationInMonths">;
  redeemedAt: Date;
  periodStart: Date;
  firstInvoice: boolean;
}): (CouponTerms & { code: string }) | null {
  const terms = { code: coupon.code, percentOff: coupon.percentOff, amountOff: coupon.amountOff };
  switch (coupon.duration) {
    case "once":
      return firstInvoice ? terms : null;
    case "forever":
      return terms;
    case "repeating": {
      const ends = addInterval({
        anchor: redeemedAt,
        interval: "month",
        count: coupon.durationInMonths ?? 0,
      });
      return periodStart < ends ? terms : null;
    }
  }
}
