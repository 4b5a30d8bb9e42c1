import type { StripeConfig } from "../../config.ts";
import type { CheckoutProvider } from "../../payments/checkout-provider.ts";
import { chargeWithStripe } from "./charge-with-stripe.ts";
import { createStripeCardSetup } from "./create-stripe-card-setup.ts";
import { createStripeCheckout } from "./create-stripe-checkout.ts";
import { interpretStripeEvent } from "./interpret-stripe-event.ts";
import { readStripeCardSetup } from "./read-stripe-card-setup.ts";
import { refundWithStripe } from "./refund-with-stripe.ts";
import { createStripeClient } from "./stripe-client.ts";
import { validateStripePaymentMethod } from "./validate-stripe-payment-method.ts";
import { verifyStripeWebhook } from "./verify-stripe-webhook.ts";

export interface StripeProviderOptions {
  /** The SDK's automatic retries (connection errors, 409, 5xx); default 2. Tests set 0. */
  maxNetworkRetries?: number;
  /** One request's timeout; default `providerRequestTimeoutMs`. Tests shorten it. */
  timeoutMs?: number;
}

/**
 * The Stripe adapter: Checkout Sessions for hosted payments and for saving cards (setup mode),
 * off-session PaymentIntents for stored cards, refunds, and webhook verification and interpretation. It translates only; Abono stores events
 * and decides what they mean.
 */
export function createStripeProvider(
  config: StripeConfig,
  options: StripeProviderOptions = {},
): CheckoutProvider {
  const stripe = createStripeClient({
    secretKey: config.secretKey,
    apiUrl: config.apiUrl,
    maxNetworkRetries: options.maxNetworkRetries,
    timeoutMs: options.timeoutMs,
  });
  return {
    name: "stripe",
    validatePaymentMethod: ({ token, organizationId, email }) =>
      validateStripePaymentMethod({ stripe, token, organizationId, email }),
    charge: (request) => chargeWithStripe({ stripe, request }),
    refund: (request) => refundWithStripe({ stripe, request }),
    createCheckout: (request) => createStripeCheckout({ stripe, request }),
    createPaymentMethodSetup: (request) => createStripeCardSetup({ stripe, request }),
    retrievePaymentMethodSetup: ({ providerSessionId }) =>
      readStripeCardSetup({ stripe, providerSessionId }),
    verifyWebhook: async (request) =>
      verifyStripeWebhook({ request, webhookSecret: config.webhookSecret }),
    interpretWebhook: async (event) => interpretStripeEvent(event.payload),
  };
}
