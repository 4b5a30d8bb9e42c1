import { currencyExponent } from "./currency-exponent.ts";
import { divideRounded } from "./divide-rounded.ts";

/**
 * A price given as an integer scaled by `scale` (Apple's milliunits: 4.99 → 4990, scale 1000; Google's
 * micros: 4.99 → 4990000, scale 10⁶) in the currency's minor units, rounded half away from zero.
 */
export function fromScaledPrice({
  value,
  currency,
  scale,
}: {
  value: bigint;
  currency: string;
  scale: bigint;
}): bigint {
  const exponent = BigInt(currencyExponent(currency));
  return divideRounded({ numerator: value * 10n ** exponent, denominator: scale });
}
