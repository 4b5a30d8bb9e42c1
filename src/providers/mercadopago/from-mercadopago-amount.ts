import { fromDecimalString, MoneyError } from "../../money/index.ts";

/**
 * A MercadoPago amount (`transaction_amount`, `transaction_amount_refunded`: a JSON number in major
 * units) in minor units of `currency`, without float arithmetic: the number's shortest string form (what
 * MercadoPago wrote, e.g. "19.99") is read as an exact decimal by the money module. Non-numbers,
 * non-finite values, exponent notation and more decimals than the currency has are a `MoneyError`.
 */
export function fromMercadoPagoAmount({
  value,
  currency,
}: {
  value: unknown;
  currency: string;
}): bigint {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new MoneyError(
      `MercadoPago sent the amount ${String(value)} for ${currency}; expected a finite number of major units such as 19.99.`,
    );
  }
  return fromDecimalString({ text: String(value), currency });
}
