import { z } from "zod";
import {
  type VerifiedWebhook,
  type WebhookRequest,
  WebhookVerificationError,
} from "../../payments/checkout-provider.ts";
import { readPayPalWebhookSignature } from "./paypal-webhook-headers.ts";
import { webhookVerificationBody } from "./webhook-verification-body.ts";

/** How far `paypal-transmission-time` may be from now, either way. */
export const webhookToleranceSeconds = 300;

const eventSchema = z.object({ id: z.string().min(1), event_type: z.string().min(1) });

/**
 * Verifies a PayPal webhook: the signature headers must all be there and the transmission recent
 * (checked here, before asking PayPal), then PayPal's verify-webhook-signature API must answer SUCCESS
 * for this webhook id. Anything else is a `WebhookVerificationError`.
 */
export async function verifyPayPalWebhook({
  request: { rawBody, headers, now },
  webhookId,
  verify,
}: {
  request: WebhookRequest;
  webhookId: string | undefined;
  /** Posts a verify-webhook-signature body to PayPal and returns its `verification_status`. */
  verify: (body: string) => Promise<string>;
}): Promise<VerifiedWebhook> {
  if (webhookId === undefined) {
    throw new WebhookVerificationError(
      "PayPal webhooks are not configured: set ABONO_PAYPAL_WEBHOOK_ID",
    );
  }
  const read = readPayPalWebhookSignature(headers);
  if ("missing" in read) {
    throw new WebhookVerificationError(
      `The PayPal webhook lacks its signature headers: ${read.missing.join(", ")}.`,
    );
  }
  const { signature } = read;
  const sentAt = Date.parse(signature.transmission_time);
  if (Number.isNaN(sentAt)) {
    throw new WebhookVerificationError(
      `paypal-transmission-time ${JSON.stringify(signature.transmission_time)} is not a date and time.`,
    );
  }
  if (Math.abs(now.getTime() - sentAt) > webhookToleranceSeconds * 1000) {
    throw new WebhookVerificationError(
      `The PayPal webhook was sent at ${signature.transmission_time}, more than ${webhookToleranceSeconds} seconds from now; it may be replayed.`,
    );
  }
  const rawEvent = rawBody.toString("utf8");
  const payload = parseJson(rawEvent);
  const event = eventSchema.safeParse(payload);
  if (!event.success) {
    throw new WebhookVerificationError(
      "The PayPal webhook body is not a JSON event with an id and an event_type.",
    );
  }
  let status: string;
  try {
    status = await verify(webhookVerificationBody({ signature, webhookId, rawEvent }));
  } catch (error) {
    throw new WebhookVerificationError(
      `PayPal could not verify the webhook signature: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (status !== "SUCCESS") {
    throw new WebhookVerificationError(
      `PayPal says the webhook signature is not valid for webhook ${webhookId} (verification_status ${status}).`,
    );
  }
  return { eventId: event.data.id, eventType: event.data.event_type, payload };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
