import { fromDecimalString, MoneyError } from "../../money/index.ts";

/**
 * A PayPal `value` string as minor units of `currency`: "19.99" USD → 1999n, "1500" JPY → 1500n,
 * "1000" HUF → 100000n. Exact, without floats (the money module reads the decimal); PayPal amounts are
 * never negative.
 */
export function fromPayPalValue({ value, currency }: { value: string; currency: string }): bigint {
  if (value.startsWith("-")) {
    throw new MoneyError(`PayPal amount ${JSON.stringify(value)} ${currency} is negative.`);
  }
  return fromDecimalString({ text: value, currency });
}
