/** The headers PayPal signs a webhook with, by their `verify-webhook-signature` field names. */
export const paypalWebhookHeaders = {
  auth_algo: "paypal-auth-algo",
  cert_url: "paypal-cert-url",
  transmission_id: "paypal-transmission-id",
  transmission_sig: "paypal-transmission-sig",
  transmission_time: "paypal-transmission-time",
} as const;

export type PayPalWebhookSignature = Record<keyof typeof paypalWebhookHeaders, string>;

/** The signature headers of a webhook request (names in lower case), or the names of those missing. */
export function readPayPalWebhookSignature(
  headers: Record<string, string | undefined>,
): { signature: PayPalWebhookSignature } | { missing: string[] } {
  const entries = Object.entries(paypalWebhookHeaders).map(
    ([field, header]) => [field, headers[header]?.trim() ?? ""] as const,
  );
  const missing = entries
    .filter(([, value]) => value === "")
    .map(([field]) => paypalWebhookHeaders[field as keyof typeof paypalWebhookHeaders]);
  if (missing.length > 0) return { missing };
  return { signature: Object.fromEntries(entries) as PayPalWebhookSignature };
}
