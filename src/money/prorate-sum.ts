import { divideRounded } from "./divide-rounded.ts";
import { MoneyError } from "./money-error.ts";
import type { ProrationFraction } from "./proration-fraction.ts";
import { requireBigint } from "./require-bigint.ts";

/** A ratio `numerator / denominator` between 0 and 1 (a share of units, e.g. 2 of 5 seats). */
export interface Share {
  numerator: bigint;
  denominator: bigint;
}

/**
 * `round(Σ amountᵢ × fractionᵢ × share)`: several amounts, each prorated over its own period, summed
 * exactly and rounded ONCE, half away from zero. The unused value of a period's charges (each paid for
 * its own stretch of time) is one line, so it is rounded once, not once per charge.
 */
export function prorateSum({
  parts,
  share = { numerator: 1n, denominator: 1n },
}: {
  parts: readonly { amount: bigint; fraction: ProrationFraction }[];
  share?: Share;
}): bigint {
  requireRatio({ name: "share", ratio: share });
  let numerator = 0n;
  let denominator = 1n;
  for (const { amount, fraction } of parts) {
    requireBigint({ name: "amount", value: amount });
    requireRatio({ name: "fraction", ratio: fraction });
    // numerator/denominator + amount × n/d, over the least common denominator.
    const common =
      (denominator / greatestCommonDivisor(denominator, fraction.denominator)) *
      fraction.denominator;
    numerator =
      numerator * (common / denominator) +
      amount * fraction.numerator * (common / fraction.denominator);
    denominator = common;
  }
  return divideRounded({
    numerator: numerator * share.numerator,
    denominator: denominator * share.denominator,
  });
}

function requireRatio({ name, ratio }: { name: string; ratio: Share }): void {
  requireBigint({ name: `${name}.numerator`, value: ratio.numerator });
  requireBigint({ name: `${name}.denominator`, value: ratio.denominator });
  if (ratio.denominator <= 0n || ratio.numerator < 0n || ratio.numerator > ratio.denominator) {
    throw new MoneyError(
      `${name} ${ratio.numerator}/${ratio.denominator} is not between 0 and 1 (with a positive denominator).`,
    );
  }
}

function greatestCommonDivisor(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}
