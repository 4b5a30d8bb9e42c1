import { MoneyError } from "./money-error.ts";
import { requireBigint } from "./require-bigint.ts";

/**
 * `numerator / denominator` rounded to the nearest integer, ties HALF AWAY FROM ZERO
 * (5/2 → 3, −5/2 → −3, 5/−2 → −3). Exact for any size: it works on bigint magnitudes and applies the
 * sign afterwards, so a result and its negation are always symmetric.
 */
export function divideRounded({
  numerator,
  denominator,
}: {
  numerator: bigint;
  denominator: bigint;
}): bigint {
  requireBigint({ name: "numerator", value: numerator });
  requireBigint({ name: "denominator", value: denominator });
  if (denominator === 0n) {
    throw new MoneyError("Cannot divide an amount by zero; the denominator must be non-zero.");
  }
  const negative = numerator < 0n !== denominator < 0n;
  const numeratorMagnitude = numerator < 0n ? -numerator : numerator;
  const denominatorMagnitude = denominator < 0n ? -denominator : denominator;
  const quotient = numeratorMagnitude / denominatorMagnitude;
  const remainder = numeratorMagnitude % denominatorMagnitude;
  const magnitude = remainder * 2n >= denominatorMagnitude ? quotient + 1n : quotient;
  return negative ? -magnitude : magnitude;
}
