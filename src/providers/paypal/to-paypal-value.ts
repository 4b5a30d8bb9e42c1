import { MoneyError, toDecimalString } from "../../money/index.ts";

/**
 * Currencies PayPal takes without decimals although ISO 4217 gives them a minor unit
 * (PayPal's currency codes reference: "This currency does not support decimals").
 */
const wholeUnitCurrencies = new Set(["HUF", "TWD"]);

/**
 * An amount in minor units as PayPal's `value` string: 1999n USD → "19.99", 1500n JPY → "1500".
 * Exact, without floats.
 */
export function toPayPalValue({ amount, currency }: { amount: bigint; currency: string }): string {
  const decimal = toDecimalString({ amount, currency });
  if (!wholeUnitCurrencies.has(currency)) return decimal;
  const [whole = decimal, fraction = ""] = decimal.split(".");
  if (/^0*$/.test(fraction)) return whole;
  throw new MoneyError(
    `PayPal takes ${currency} amounts in whole units only, and ${decimal} ${currency} has a fraction; round the price to whole ${currency}.`,
  );
}
