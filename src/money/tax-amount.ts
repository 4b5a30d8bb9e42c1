import { multiplyRatio } from "./multiply-ratio.ts";
import { requireBigint } from "./require-bigint.ts";
import { type TaxPercentage, wholePercentage } from "./tax-percentage.ts";

/**
 * The tax of one line, rounded once, half away from zero (like every amount in Abono):
 * - tax-exclusive prices (tax added): `round(amount × p / 100)`; 9000 at 21% → 1890;
 * - tax-inclusive prices (tax extracted): `round(amount × p / (100 + p))`; 12100 at 21% → 2100, and the
 *   line's net is `amount − tax` (10000).
 * `amount` is the line's amount after discounts, negative for a credit (whose tax is the negation of the
 * same charge's, as rounding is symmetric).
 */
export function taxAmount({
  amount,
  percentage,
  inclusive,
}: {
  amount: bigint;
  percentage: TaxPercentage;
  inclusive: boolean;
}): bigint {
  requireBigint({ name: "amount", value: amount });
  requireBigint({ name: "percentage", value: percentage });
  return multiplyRatio({
    amount,
    numerator: percentage,
    denominator: inclusive ? wholePercentage + percentage : wholePercentage,
  });
}
