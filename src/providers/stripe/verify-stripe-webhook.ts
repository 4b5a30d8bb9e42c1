import Stripe from "stripe";
import {
  type VerifiedWebhook,
  type WebhookRequest,
  WebhookVerificationError,
} from "../../payments/checkout-provider.ts";

/** Stripe's own default: a signature older than five minutes is a replay. */
export const stripeSignatureToleranceSeconds = 300;

/**
 * Verifies a Stripe webhook with the SDK (`constructEvent`: HMAC-SHA256 of `${t}.${body}` with the
 * endpoint secret, any `v1=` entry, timing-safe comparison, age at most 300 s measured from `now`, which
 * the SDK accepts as `receivedAt` in milliseconds). The SDK only rejects timestamps that are too old; a
 * timestamp more than the tolerance in the future is rejected here too, so a signature cannot be
 * prepared for later replay by someone who briefly held the secret or a skewed signer. Every failure is a
 * `WebhookVerificationError` saying what to check.
 */
export function verifyStripeWebhook({
  request: { rawBody, headers, now },
  webhookSecret,
}: {
  request: WebhookRequest;
  webhookSecret: string | undefined;
}): VerifiedWebhook {
  if (!webhookSecret) {
    throw new WebhookVerificationError(
      "Stripe webhooks are not configured: set ABONO_STRIPE_WEBHOOK_SECRET",
    );
  }
  const header = headers["stripe-signature"];
  if (!header) {
    throw new WebhookVerificationError(
      "The Stripe-Signature header is missing; Stripe signs every webhook, so this request did not come from Stripe.",
    );
  }
  const timestamp = signedTimestamp(header);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(
      rawBody,
      header,
      webhookSecret,
      stripeSignatureToleranceSeconds,
      undefined,
      now.getTime(),
    );
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      if (/tolerance/i.test(error.message)) {
        throw new WebhookVerificationError(
          `The Stripe-Signature timestamp is ${nowSeconds - timestamp} s old; Stripe webhooks are accepted for ${stripeSignatureToleranceSeconds} s (a replayed request, or this server's clock is wrong).`,
        );
      }
      throw new WebhookVerificationError(
        "The Stripe-Signature does not match the request body: check ABONO_STRIPE_WEBHOOK_SECRET is this endpoint's signing secret (whsec_…) and that the body reaches Abono unmodified.",
      );
    }
    throw new WebhookVerificationError(
      `The Stripe webhook body is signed but is not a JSON event: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (timestamp - nowSeconds > stripeSignatureToleranceSeconds) {
    throw new WebhookVerificationError(
      `The Stripe-Signature timestamp is ${timestamp - nowSeconds} s in the future; at most ${stripeSignatureToleranceSeconds} s of clock skew is accepted (check this server's clock).`,
    );
  }
  return parsedEvent(event);
}

/** The `t=` element of `t=…,v1=…,v1=…`; the SDK would take a malformed one as NaN and skip the age check. */
function signedTimestamp(header: string): number {
  const elements = header.split(",").filter((element) => element.startsWith("t="));
  const value = elements[0]?.slice(2) ?? "";
  if (elements.length !== 1 || !/^\d{1,12}$/.test(value)) {
    throw new WebhookVerificationError(
      'The Stripe-Signature header has no valid timestamp; expected "t=<unix seconds>,v1=<hex signature>".',
    );
  }
  return Number(value);
}

function parsedEvent(event: unknown): VerifiedWebhook {
  if (
    typeof event !== "object" ||
    event === null ||
    !("id" in event) ||
    !("type" in event) ||
    typeof event.id !== "string" ||
    typeof event.type !== "string"
  ) {
    throw new WebhookVerificationError(
      "The Stripe webhook body is signed but is not a Stripe event (no string id and type).",
    );
  }
  return { eventId: event.id, eventType: event.type, payload: event };
}
