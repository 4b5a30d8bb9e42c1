import { currencyExponent, MoneyError, toMinor } from "../../money/index.ts";

const decimalPattern = /^([0-9]+)(?:\.([0-9]+))?$/;

/**
 * A PayPal `value` string as minor units of `currency`: "19.99" USD → 1999n, "1500" JPY → 1500n,
 * "1000" HUF → 100000n. Exact, without floats; a value with more (non-zero) decimals than the currency
 * has is a `MoneyError`.
 */
export function fromPayPalValue({ value, currency }: { value: string; currency: string }): bigint {
  const match = decimalPattern.exec(value);
  if (match === null) {
    throw new MoneyError(
      `PayPal amount ${JSON.stringify(value)} ${currency} is not a non-negative decimal number.`,
    );
  }
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  const exponent = currencyExponent(currency);
  if (!/^0*$/.test(fraction.slice(exponent))) {
    throw new MoneyError(
      `PayPal amount ${value} ${currency} has more decimals than ${currency}'s ${exponent}.`,
    );
  }
  const digits = `${whole}${fraction.slice(0, exponent).padEnd(exponent, "0")}`;
  return toMinor(digits.replace(/^0+(?=[0-9])/, ""));
}
