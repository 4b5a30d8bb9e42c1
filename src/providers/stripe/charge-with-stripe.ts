import Stripe from "stripe";
import type { ChargeRequest, ChargeResult } from "../../payments/payment-provider.ts";
import { toStripeAmount } from "./stripe-amount.ts";
import { stripeFailureCode } from "./stripe-failure-code.ts";
import { parseStripeStoredToken } from "./stripe-stored-token.ts";

/**
 * Charges a stored card off-session with one confirmed PaymentIntent. The idempotency key is Abono's
 * payment id, so a retried charge (a network retry, a crashed job run again) is answered with the first
 * PaymentIntent instead of charging twice. Declines and Stripe-side trouble come back as a failed result
 * (renewals charge many organizations in one batch; one bad card or outage must not abort it). Only
 * non-Stripe errors are thrown: an amount beyond the safe range or a bug.
 */
export async function chargeWithStripe({
  stripe,
  request,
}: {
  stripe: Stripe;
  request: ChargeRequest;
}): Promise<ChargeResult> {
  const stored = parseStripeStoredToken(request.token);
  if (!stored) {
    return {
      status: "failed",
      code: "no_payment_method",
      message:
        "The stored payment method is not a Stripe cus_…/pm_… token; add the card again with provider stripe.",
      providerPaymentId: null,
    };
  }
  const amount = toStripeAmount({ amount: request.amount, currency: request.currency });
  try {
    const intent = await stripe.paymentIntents.create(
      {
        amount,
        currency: request.currency.toLowerCase(),
        customer: stored.customerId,
        payment_method: stored.paymentMethodId,
        // Server-side confirmation has no page to come back to; cards never need a redirect.
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        confirm: true,
        off_session: true,
        description: request.description,
        metadata: {
          paymentId: request.paymentId,
          invoiceId: request.invoiceId,
          organizationId: request.organizationId,
        },
      },
      { idempotencyKey: request.paymentId },
    );
    return chargeResultOf(intent);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return failedCharge(error);
    throw error;
  }
}

/**
 * A confirmed PaymentIntent that did not throw. Off-session card confirmations normally end in
 * `succeeded` or a card error; `processing` is reported as a processing error because `ChargeResult` has
 * no pending outcome (the final result arrives as `payment_intent.succeeded` or `payment_failed`).
 */
function chargeResultOf(intent: Stripe.PaymentIntent): ChargeResult {
  if (intent.status === "succeeded") return { status: "succeeded", providerPaymentId: intent.id };
  const error = intent.last_payment_error;
  if (intent.status === "requires_action" || intent.status === "requires_payment_method") {
    return {
      status: "failed",
      code: stripeFailureCode({
        code: error?.code,
        declineCode: error?.decline_code,
        paymentIntentStatus: intent.status,
      }),
      message:
        error?.message ??
        (intent.status === "requires_action"
          ? "The bank requires the customer to authenticate this payment (3-D Secure)."
          : "Stripe could not charge the payment method."),
      providerPaymentId: intent.id,
    };
  }
  return {
    status: "failed",
    code: "processing_error",
    message: `Stripe left PaymentIntent ${intent.id} in status ${intent.status}; its outcome will arrive by webhook.`,
    providerPaymentId: intent.id,
  };
}

function failedCharge(error: InstanceType<typeof Stripe.errors.StripeError>): ChargeResult {
  const providerPaymentId = error.payment_intent?.id ?? null;
  if (error instanceof Stripe.errors.StripeCardError) {
    return {
      status: "failed",
      code: stripeFailureCode({
        code: error.code,
        declineCode: error.decline_code,
        paymentIntentStatus: error.payment_intent?.status,
      }),
      message: error.message,
      providerPaymentId,
    };
  }
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    error.code === "resource_missing" &&
    (error.param === "payment_method" || error.param === "customer")
  ) {
    return {
      status: "failed",
      code: "no_payment_method",
      message: `Stripe no longer has the stored ${error.param === "customer" ? "customer" : "payment method"} (${error.message}); add the card again.`,
      providerPaymentId,
    };
  }
  return {
    status: "failed",
    code: "processing_error",
    message: `Stripe could not process the charge (${error.rawType ?? error.type}${error.statusCode ? ` ${error.statusCode}` : ""}): ${error.message}`,
    providerPaymentId,
  };
}
