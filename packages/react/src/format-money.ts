/**
 * An amount in minor units (an integer, as the API sends it) formatted by `Intl` for a locale. The number is
 * turned into an exact decimal string first, so no float ever holds the amount: 3096 USD → "30.96" → "$30.96".
 */
export function formatMoney(minor: number | bigint, currency: string, locale: string): string {
  const format = new Intl.NumberFormat(locale, { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const value = BigInt(minor);
  const negative = value < 0n;
  const magnitude = (negative ? -value : value).toString().padStart(digits + 1, "0");
  const whole = magnitude.slice(0, magnitude.length - digits);
  const fraction = magnitude.slice(magnitude.length - digits);
  const decimal = `${negative ? "-" : ""}${whole}${digits > 0 ? `.${fraction}` : ""}`;
  // Intl formats decimal strings exactly (ECMA-402 "Intl.NumberFormat v3").
  return format.format(decimal as unknown as Parameters<Intl.NumberFormat["format"]>[0]);
}
