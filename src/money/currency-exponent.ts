import { isSupportedCurrency } from "./is-supported-currency.ts";
import { MoneyError } from "./money-error.ts";

const exponents = new Map<string, number>();

/**
 * Number of decimal digits of the currency's minor unit: 2 for USD (cents), 0 for CLP and JPY,
 * 3 for KWD. Taken from ICU (`Intl.NumberFormat(...).resolvedOptions().maximumFractionDigits`), as the
 * billing rules require. Unknown or badly written codes are a `MoneyError`.
 */
export function currencyExponent(currency: string): number {
  const known = exponents.get(currency);
  if (known !== undefined) {
    return known;
  }
  requireSupportedCurrency(currency);
  const exponent = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits;
  if (exponent === undefined) {
    throw new MoneyError(`The runtime reports no minor unit for currency ${currency}.`);
  }
  exponents.set(currency, exponent);
  return exponent;
}

/** Throws a `MoneyError` explaining how to fix `currency` unless it is a supported ISO 4217 code. */
export function requireSupportedCurrency(currency: string): void {
  if (isSupportedCurrency(currency)) {
    return;
  }
  if (typeof currency !== "string") {
    throw new MoneyError(
      `Currency must be a three-letter ISO 4217 code string such as "USD" or "CLP", got ${typeof currency}.`,
    );
  }
  const upperCase = currency.trim().toUpperCase();
  if (upperCase !== currency && isSupportedCurrency(upperCase)) {
    throw new MoneyError(
      `Currency ${JSON.stringify(currency)} must be written as three upper-case letters: use ${JSON.stringify(upperCase)}.`,
    );
  }
  throw new MoneyError(
    `Currency ${JSON.stringify(currency)} is not a supported ISO 4217 code; use a code such as "USD", "EUR" or "CLP".`,
  );
}
