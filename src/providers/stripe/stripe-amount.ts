import {
  currencyExponent,
  MoneyError,
  multiplyRatio,
  toMinor,
  toNumber,
} from "../../money/index.ts";

/**
 * Stripe's API unit for an amount is not always Abono's minor unit. Abono takes the minor unit from ICU
 * (COP, HUF, IDR, ISK and PKR have none there: 0 decimals), while Stripe counts every currency in
 * hundredths except its published zero-decimal and three-decimal lists
 * (https://docs.stripe.com/currencies#zero-decimal). Sending Abono's 50000 COP (fifty thousand pesos)
 * unconverted would charge COP 500.00. These two lists are Stripe's, not ISO's, and must stay in step
 * with that page.
 */
const stripeZeroDecimal = new Set([
  "BIF",
  "CLP",
  "DJF",
  "GNF",
  "JPY",
  "KMF",
  "KRW",
  "MGA",
  "PYG",
  "RWF",
  "UGX",
  "VND",
  "VUV",
  "XAF",
  "XOF",
  "XPF",
]);
const stripeThreeDecimal = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

function stripeExponent(currency: string): number {
  if (stripeZeroDecimal.has(currency)) return 0;
  if (stripeThreeDecimal.has(currency)) return 3;
  return 2;
}

/** `10^digits` as a bigint scale factor (not an amount). */
function powerOfTen(digits: number): bigint {
  return 10n ** BigInt(digits);
}

/**
 * Abono minor units → the integer Stripe expects in `amount` / `unit_amount`. Exact or refused: a
 * currency where Stripe has fewer decimals than ICU (LYD) cannot carry a fraction of Stripe's unit, and
 * beyond `Number.MAX_SAFE_INTEGER` the form encoding would lose digits (`toNumber` throws).
 */
export function toStripeAmount({ amount, currency }: { amount: bigint; currency: string }): number {
  const code = currency.toUpperCase();
  const shift = stripeExponent(code) - currencyExponent(code);
  if (shift >= 0) {
    return toNumber(multiplyRatio({ amount, numerator: powerOfTen(shift), denominator: 1n }));
  }
  const scaled = multiplyRatio({ amount, numerator: 1n, denominator: powerOfTen(-shift) });
  if (
    multiplyRatio({ amount: scaled, numerator: powerOfTen(-shift), denominator: 1n }) !== amount
  ) {
    throw new MoneyError(
      `Stripe takes ${code} with ${stripeExponent(code)} decimals; ${amount} minor units is not a whole number of them.`,
    );
  }
  return toNumber(scaled);
}

/**
 * A Stripe amount from a response or webhook (a JSON integer) → Abono minor units. Refuses anything that
 * is not a safe integer, so no float ever becomes money. Where Stripe counts finer than ICU (COP, ISK…)
 * an amount created outside Abono may hold a fraction of Abono's unit; it is rounded once, by the money
 * module's rule.
 */
export function fromStripeAmount({
  amount,
  currency,
}: {
  amount: unknown;
  currency: string;
}): bigint {
  if (typeof amount !== "number" || !Number.isSafeInteger(amount)) {
    throw new MoneyError(
      `Stripe sent ${JSON.stringify(amount)} as an amount; expected an integer in ${currency}'s smallest unit.`,
    );
  }
  const code = currency.toUpperCase();
  const shift = currencyExponent(code) - stripeExponent(code);
  const minor = toMinor(amount);
  return shift >= 0
    ? multiplyRatio({ amount: minor, numerator: powerOfTen(shift), denominator: 1n })
    : multiplyRatio({ amount: minor, numerator: 1n, denominator: powerOfTen(-shift) });
}
