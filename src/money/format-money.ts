import { requireSupportedCurrency } from "./currency-exponent.ts";
import { MoneyError } from "./money-error.ts";
import { toDecimalString } from "./to-decimal-string.ts";

export type DisplayLocale = "en" | "es";

const displayLocales: ReadonlySet<string> = new Set<DisplayLocale>(["en", "es"]);
const formatters = new Map<string, Intl.NumberFormat>();

/**
 * The amount for display, e.g. 123456n USD → "$1,234.56" in "en" and "1234,56 US$" in "es"
 * (ICU separates the symbol with a no-break space). The amount reaches Intl as an exact decimal
 * string, so no float ever holds it, at any size.
 */
export function formatMoney({
  amount,
  currency,
  locale,
}: {
  amount: bigint;
  currency: string;
  locale: DisplayLocale;
}): string {
  if (!displayLocales.has(locale)) {
    throw new MoneyError(`Locale ${JSON.stringify(locale)} is not supported; use "en" or "es".`);
  }
  requireSupportedCurrency(currency);
  const decimal = toDecimalString({ amount, currency }) as `${number}`;
  return formatterFor({ locale, currency }).format(decimal);
}

function formatterFor({
  locale,
  currency,
}: {
  locale: DisplayLocale;
  currency: string;
}): Intl.NumberFormat {
  const key = `${locale}:${currency}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.NumberFormat(locale, { style: "currency", currency });
    formatters.set(key, formatter);
  }
  return formatter;
}
