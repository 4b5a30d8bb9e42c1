let supportedCurrencies: ReadonlySet<string> | undefined;

/**
 * True for an upper-case ISO 4217 code the runtime's ICU knows (`Intl.supportedValuesOf("currency")`,
 * e.g. "USD", "CLP"). Lower-case codes, codes for testing or precious metals ("XXX", "XAU") and made-up
 * codes are not supported.
 */
export function isSupportedCurrency(currency: string): boolean {
  if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency)) {
    return false;
  }
  supportedCurrencies ??= new Set(Intl.supportedValuesOf("currency"));
  return supportedCurrencies.has(currency);
}
