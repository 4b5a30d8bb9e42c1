import { divideRounded } from "./divide-rounded.ts";
import { MoneyError } from "./money-error.ts";
import type { ProrationFraction } from "./proration-fraction.ts";
import { requireBigint } from "./require-bigint.ts";

/**
 * One proration line: `round(unitAmount × quantity × numerator / denominator)`, half away from zero,
 * rounded once. A credit is the proration of the negated price, and
 * `prorate({ unitAmount: -p, … }) === -prorate({ unitAmount: p, … })` always holds.
 */
export function prorate({
  unitAmount,
  quantity,
  fraction,
}: {
  unitAmount: bigint;
  quantity: bigint | number;
  fraction: ProrationFraction;
}): bigint {
  requireBigint({ name: "unitAmount", value: unitAmount });
  const wholeQuantity = toQuantity(quantity);
  const { numerator, denominator } = fraction;
  requireBigint({ name: "fraction.numerator", value: numerator });
  requireBigint({ name: "fraction.denominator", value: denominator });
  if (denominator <= 0n || numerator < 0n || numerator > denominator) {
    throw new MoneyError(
      `Proration fraction ${numerator}/${denominator} is not between 0 and 1; build it with prorationFraction().`,
    );
  }
  return divideRounded({ numerator: unitAmount * wholeQuantity * numerator, denominator });
}

function toQuantity(quantity: bigint | number): bigint {
  if (typeof quantity === "bigint") {
    return quantity;
  }
  if (typeof quantity === "number" && Number.isSafeInteger(quantity)) {
    return BigInt(quantity);
  }
  throw new MoneyError(`quantity must be a whole number, got ${String(quantity)}.`);
}
