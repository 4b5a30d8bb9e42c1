import { divideRounded } from "./divide-rounded.ts";
import { requireBigint } from "./require-bigint.ts";

/**
 * `amount × numerator / denominator`, computed exactly and rounded ONCE, half away from zero.
 */
export function multiplyRatio({
  amount,
  numerator,
  denominator,
}: {
  amount: bigint;
  numerator: bigint;
  denominator: bigint;
}): bigint {
  requireBigint({ name: "amount", value: amount });
  requireBigint({ name: "numerator", value: numerator });
  return divideRounded({ numerator: amount * numerator, denominator });
}
