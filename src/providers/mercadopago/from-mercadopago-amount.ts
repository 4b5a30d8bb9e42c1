import { currencyExponent, MoneyError, toMinor } from "../../money/index.ts";

const decimalPattern = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/**
 * A MercadoPago amount (`transaction_amount`, `transaction_amount_refunded`: a JSON number in major
 * units) in minor units of `currency`, without float arithmetic: the number's shortest string form
 * (what MercadoPago wrote, e.g. "19.99") is shifted by the currency's exponent as text and handed to
 * `toMinor`. Non-numbers, non-finite values, exponent notation and more decimals than the currency has
 * are a `MoneyError`.
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
  const text = String(value);
  const match = decimalPattern.exec(text);
  if (!match) {
    throw new MoneyError(
      `MercadoPago sent the amount ${text} for ${currency}, which is not a plain decimal.`,
    );
  }
  const [, sign = "", whole = "", fraction = ""] = match;
  const exponent = currencyExponent(currency);
  if (fraction.length > exponent) {
    throw new MoneyError(
      `MercadoPago sent the amount ${text} ${currency}, with more decimals than ${currency} has (${exponent}).`,
    );
  }
  const digits = `${whole}${fraction.padEnd(exponent, "0")}`.replace(/^0+(?=[0-9])/, "");
  return toMinor(`${digits === "0" ? "" : sign}${digits}`);
}
