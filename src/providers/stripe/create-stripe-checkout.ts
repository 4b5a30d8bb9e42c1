import type Stripe from "stripe";
import type { CheckoutRequest, CheckoutSession } from "../../payments/checkout-provider.ts";
import { toStripeAmount } from "./stripe-amount.ts";

/**
 * A hosted Checkout Session for one amount. Abono's checkout id travels three ways, so every event about
 * the payment can be traced back: `client_reference_id` and `metadata` on the session
 * (`checkout.session.completed`) and `metadata` on the PaymentIntent it creates
 * (`payment_intent.succeeded` / `payment_failed`). The checkout id is also the idempotency key: creating
 * the same checkout twice returns the same session. Stripe's errors propagate as the SDK's typed errors.
 */
export async function createStripeCheckout({
  stripe,
  request,
}: {
  stripe: Stripe;
  request: CheckoutRequest;
}): Promise<CheckoutSession> {
  const reference = { checkoutId: request.checkoutId, organizationId: request.organizationId };
  const session = await stripe.checkout.sessions.create(
    {
      mode: "payment",
      line_items: [
        {
          price_data: {
            currency: request.currency.toLowerCase(),
            unit_amount: toStripeAmount({ amount: request.amount, currency: request.currency }),
            product_data: { name: request.description },
          },
          quantity: 1,
        },
      ],
      client_reference_id: request.checkoutId,
      metadata: reference,
      payment_intent_data: { metadata: reference, description: request.description },
      success_url: request.successUrl,
      cancel_url: request.cancelUrl,
      ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
      locale: request.locale,
    },
    { idempotencyKey: request.checkoutId },
  );
  if (!session.url) {
    throw new Error(
      `Stripe returned Checkout Session ${session.id} without a url to send the customer to.`,
    );
  }
  return { providerCheckoutId: session.id, redirectUrl: session.url };
}
