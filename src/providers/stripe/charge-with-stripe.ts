import Stripe from "stripe";
import type { ChargeRequest, ChargeResult } from "../../payments/payment-provider.ts";
import { toStripeAmount } from "./stripe-amount.ts";
import { stripeFailureCode } from "./stripe-failure-code.ts";
import { parseStripeStoredToken } from "./stripe-stored-token.ts";

/**
 * Charges a stored card off-session with one confirmed PaymentIntent. The idempotency key is the
 * request's provider key when the charge is made for an HTTP request with an Idempotency-Key (the same in
 * every execution of that request), otherwise Abono's payment id, so a retried charge (a network retry, a
 * second execution of the request, a crashed job run again) is answered with the first PaymentIntent
 * instead of charging twice. With the request's key, the parameters carry no id minted by this execution
 * (Stripe refuses a key reused with other parameters). Declines and Stripe-side trouble come back as a
 * failed result (renewals charge many organizations in one batch; one bad card or outage must not abort
 * it); trouble that leaves the outcome unknown (timeout, 5xx) is marked `outcomeUnknown`. Only
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
        ...chargeDescription(request),
      },
      { idempotencyKey: request.idempotencyKey ?? request.paymentId },
    );
    if (isReplayed(intent) && (await wasRefunded({ stripe, intent }))) {
      return {
        status: "failed",
        code: "processing_error",
        message: `The first attempt of this request charged PaymentIntent ${intent.id} and it was refunded since; retry with a new Idempotency-Key to charge again.`,
        providerPaymentId: intent.id,
      };
    }
    return chargeResultOf(intent);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return failedCharge(error);
    throw error;
  }
}

/**
 * The description and metadata: this payment's and invoice's ids, or, under a request's provider key,
 * only what every execution of the request sends alike (the payment row keeps the PaymentIntent id).
 */
function chargeDescription(request: ChargeRequest): {
  description: string;
  metadata: Record<string, string>;
} {
  if (request.idempotencyKey === undefined) {
    return {
      description: request.description,
      metadata: {
        paymentId: request.paymentId,
        invoiceId: request.invoiceId,
        organizationId: request.organizationId,
      },
    };
  }
  return {
    description: `Abono charge for organization ${request.organizationId}`,
    metadata: { organizationId: request.organizationId, chargeKey: request.idempotencyKey },
  };
}

/** Stripe answered from an earlier request with the same idempotency key. */
function isReplayed(intent: Stripe.Response<Stripe.PaymentIntent>): boolean {
  const replayed = intent.lastResponse?.headers?.["idempotent-replayed"];
  return replayed === "true";
}

/**
 * Whether a replayed PaymentIntent's charge was refunded since (an execution that failed after charging
 * refunds its charge, and the retry must not take that payment for its own).
 */
async function wasRefunded({
  stripe,
  intent,
}: {
  stripe: Stripe;
  intent: Stripe.PaymentIntent;
}): Promise<boolean> {
  if (intent.status !== "succeeded" || !intent.latest_charge) return false;
  const chargeId =
    typeof intent.latest_charge === "string" ? intent.latest_charge : intent.latest_charge.id;
  const charge = await stripe.charges.retrieve(chargeId);
  return charge.amount_refunded > 0;
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
    ...(leavesOutcomeUnknown(error) ? { outcomeUnknown: true } : {}),
  };
}

/**
 * No answer (a timeout or a lost connection) or a server error: Stripe may have charged. An
 * idempotency error (the key was used with other parameters) means an earlier execution's charge may
 * stand under this key.
 */
function leavesOutcomeUnknown(error: InstanceType<typeof Stripe.errors.StripeError>): boolean {
  return (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    (error instanceof Stripe.errors.StripeAPIError && (error.statusCode ?? 500) >= 500)
  );
}
