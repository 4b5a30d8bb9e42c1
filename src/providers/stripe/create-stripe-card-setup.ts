import type Stripe from "stripe";
import type {
  CheckoutSession,
  PaymentMethodSetupRequest,
} from "../../payments/checkout-provider.ts";
import { findOrCreateStripeCustomer } from "./find-or-create-stripe-customer.ts";

/**
 * A Checkout Session in `setup` mode: Stripe's page collects a card (with 3-D Secure when the bank asks)
 * and attaches it to the organization's Customer for later off-session charges; nothing is paid. The
 * organization and whether the card becomes the default travel in the session's `metadata`, which
 * `readStripeCardSetup` reads back when the session completes (webhook or return page). Cards only, as
 * for `validateStripePaymentMethod`: renewals need an immediate outcome.
 */
export async function createStripeCardSetup({
  stripe,
  request,
}: {
  stripe: Stripe;
  request: PaymentMethodSetupRequest;
}): Promise<CheckoutSession> {
  const customerId = await findOrCreateStripeCustomer({
    stripe,
    organizationId: request.organizationId,
    email: request.customerEmail,
  });
  const metadata = {
    organizationId: request.organizationId,
    purpose: "payment_method",
    makeDefault: String(request.makeDefault),
  };
  const session = await stripe.checkout.sessions.create({
    mode: "setup",
    customer: customerId,
    allowed_payment_method_types: ["card"],
    client_reference_id: request.organizationId,
    metadata,
    setup_intent_data: { metadata },
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
    locale: request.locale,
  });
  if (!session.url) {
    throw new Error(
      `Stripe returned Checkout Session ${session.id} without a url to send the customer to.`,
    );
  }
  return { providerCheckoutId: session.id, redirectUrl: session.url };
}
