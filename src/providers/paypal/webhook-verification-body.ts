import type { PayPalWebhookSignature } from "./paypal-webhook-headers.ts";

/**
 * The `verify-webhook-signature` request body. The event goes in as the exact bytes PayPal sent rather
 * than re-serialized (PayPal checks its signature over the event, and a parse/stringify round trip can
 * change numbers, escapes or key order). `rawEvent` must already have parsed as a JSON object, so it is
 * exactly one JSON value and cannot add fields of its own.
 */
export function webhookVerificationBody({
  signature,
  webhookId,
  rawEvent,
}: {
  signature: PayPalWebhookSignature;
  webhookId: string;
  rawEvent: string;
}): string {
  const fields = JSON.stringify({ ...signature, webhook_id: webhookId });
  return `${fields.slice(0, -1)},"webhook_event":${rawEvent}}`;
}
