/** The PayPal checkout locale for Abono's display locale. */
export function paypalLocale(locale: "en" | "es"): string {
  return locale === "es" ? "es-ES" : "en-US";
}
