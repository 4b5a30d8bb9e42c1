import { z } from "zod";
import type { PaymentNotice } from "../../payments/checkout-provider.ts";
import { fromStripeAmount } from "./stripe-amount.ts";
import { stripeFailureCode } from "./stripe-failure-code.ts";

/** An id field Stripe may send as the id or, when expanded, as the object. */
const reference = z
  .union([z.string(), z.object({ id: z.string() })])
  .nullish()
  .transform((value) => (typeof value === "object" && value !== null ? value.id : (value ?? null)));

const metadata = z
  .record(z.string(), z.string())
  .nullish()
  .transform((value) => value ?? {});

const event = z.object({
  id: z.string(),
  type: z.string(),
  data: z.object({ object: z.unknown() }),
});

const checkoutSession = z.object({
  id: z.string(),
  mode: z.string().nullish(),
  client_reference_id: z.string().nullish(),
  metadata,
  payment_status: z.string(),
  payment_intent: reference,
  amount_total: z.unknown(),
  currency: z.string().nullish(),
});

const paymentIntent = z.object({
  id: z.string(),
  metadata,
  status: z.string().nullish(),
  amount_received: z.unknown(),
  currency: z.string(),
  last_payment_error: z
    .object({
      code: z.string().nullish(),
      decline_code: z.string().nullish(),
      message: z.string().nullish(),
    })
    .nullish(),
});

const charge = z.object({
  id: z.string(),
  payment_intent: reference,
  amount_refunded: z.unknown(),
  currency: z.string(),
  refunds: z
    .object({ data: z.array(z.object({ id: z.string(), created: z.number().optional() })) })
    .nullish(),
});

/**
 * What a verified Stripe event says about a payment, without calling Stripe: the four events Abono acts
 * on carry everything needed. A Checkout payment produces both `checkout.session.completed` and
 * `payment_intent.succeeded`; both name the PaymentIntent as `providerPaymentId`, so the pipeline (which
 * is idempotent on provider + provider payment id) applies the payment once whichever arrives first.
 * Amounts go through `fromStripeAmount`, which accepts only safe integers. An event of a type Abono acts
 * on but with an unexpected shape throws (the webhook is answered with an error and Stripe retries)
 * rather than being ignored, so a payment is never dropped silently.
 */
export function interpretStripeEvent(payload: unknown): PaymentNotice {
  const { type, data } = parse(event, payload, "event");
  switch (type) {
    case "checkout.session.completed": {
      const session = parse(checkoutSession, data.object, type);
      // A card saved through Checkout in setup mode: the adapter reads the session back to store it.
      if (session.mode === "setup") {
        return { kind: "payment_method_setup", providerSessionId: session.id };
      }
      const checkoutId = session.client_reference_id ?? session.metadata.checkoutId ?? null;
      if (session.payment_status !== "paid") {
        return { kind: "pending", checkoutId, providerPaymentId: session.payment_intent };
      }
      if (session.payment_intent === null || !session.currency) {
        return {
          kind: "ignored",
          reason: `${type}: session ${session.id} is paid but names no payment_intent or currency`,
        };
      }
      return {
        kind: "payment_succeeded",
        checkoutId,
        providerPaymentId: session.payment_intent,
        amount: fromStripeAmount({ amount: session.amount_total, currency: session.currency }),
        currency: session.currency.toUpperCase(),
      };
    }
    case "payment_intent.succeeded": {
      const intent = parse(paymentIntent, data.object, type);
      return {
        kind: "payment_succeeded",
        checkoutId: intent.metadata.checkoutId ?? null,
        providerPaymentId: intent.id,
        amount: fromStripeAmount({ amount: intent.amount_received, currency: intent.currency }),
        currency: intent.currency.toUpperCase(),
      };
    }
    case "payment_intent.payment_failed": {
      const intent = parse(paymentIntent, data.object, type);
      const error = intent.last_payment_error;
      return {
        kind: "payment_failed",
        checkoutId: intent.metadata.checkoutId ?? null,
        providerPaymentId: intent.id,
        code: stripeFailureCode({
          code: error?.code,
          declineCode: error?.decline_code,
          paymentIntentStatus: intent.status,
        }),
        message: error?.message ?? "Stripe reported the payment as failed without a reason.",
      };
    }
    case "charge.refunded": {
      const refunded = parse(charge, data.object, type);
      if (refunded.payment_intent === null) {
        return {
          kind: "ignored",
          reason: `${type}: charge ${refunded.id} has no payment_intent, so it is not an Abono payment`,
        };
      }
      return {
        kind: "refunded",
        providerPaymentId: refunded.payment_intent,
        amountRefunded: fromStripeAmount({
          amount: refunded.amount_refunded,
          currency: refunded.currency,
        }),
        currency: refunded.currency.toUpperCase(),
        providerRefundId: latestRefundId(refunded.refunds?.data ?? []),
      };
    }
    default:
      return { kind: "ignored", reason: type };
  }
}

/** Stripe lists newest first; `created` decides when present, since a payload may be re-sorted. */
function latestRefundId(refunds: { id: string; created?: number | undefined }[]): string | null {
  let latest: { id: string; created?: number | undefined } | undefined;
  for (const refund of refunds) {
    if (latest === undefined || (refund.created ?? 0) > (latest.created ?? 0)) latest = refund;
  }
  return latest?.id ?? null;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new Error(
      `Stripe ${what} does not have the shape Abono expects (check the webhook endpoint's API version): ${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}
