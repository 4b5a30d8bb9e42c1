import Stripe from "stripe";
import type { RefundRequest, RefundResult } from "../../payments/payment-provider.ts";
import { toStripeAmount } from "./stripe-amount.ts";

/**
 * Refunds part or all of a PaymentIntent. The idempotency key is Abono's refund id, so a retried refund
 * never refunds twice. Stripe's `pending` counts as accepted: card refunds settle asynchronously and
 * Stripe reports the few that fail later with `refund.failed`. The currency is the PaymentIntent's own
 * (Stripe takes none on a refund); `request.currency` only scales the amount to Stripe's unit.
 */
export async function refundWithStripe({
  stripe,
  request,
}: {
  stripe: Stripe;
  request: RefundRequest;
}): Promise<RefundResult> {
  const amount = toStripeAmount({ amount: request.amount, currency: request.currency });
  try {
    const refund = await stripe.refunds.create(
      {
        payment_intent: request.providerPaymentId,
        amount,
        metadata: { refundId: request.refundId },
      },
      { idempotencyKey: request.refundId },
    );
    if (refund.status === "succeeded" || refund.status === "pending") {
      return { status: "succeeded", providerRefundId: refund.id };
    }
    return {
      status: "failed",
      message: `Stripe refund ${refund.id} is ${refund.status}${refund.failure_reason ? ` (${refund.failure_reason})` : ""}.`,
    };
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) {
      return { status: "failed", message: `Stripe refused the refund: ${error.message}` };
    }
    throw error;
  }
}
