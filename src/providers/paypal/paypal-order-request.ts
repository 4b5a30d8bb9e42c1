import {
  CheckoutPaymentIntent,
  type OrderRequest,
  PaypalExperienceUserAction,
  PaypalWalletContextShippingPreference,
} from "@paypal/paypal-server-sdk";
import type { CheckoutRequest } from "../../payments/checkout-provider.ts";
import { paypalLocale } from "./paypal-locale.ts";
import { toPayPalValue } from "./to-paypal-value.ts";

/**
 * The Orders v2 create request for one Abono checkout: capture on approval, one purchase unit carrying
 * the checkout id (as `reference_id` and `custom_id`, which PayPal copies onto the capture), and the
 * PayPal wallet experience (return/cancel URLs, locale, "Pay Now", no shipping address).
 */
export function paypalOrderRequest(request: CheckoutRequest): OrderRequest {
  return {
    intent: CheckoutPaymentIntent.Capture,
    purchaseUnits: [
      {
        referenceId: request.checkoutId,
        customId: request.checkoutId,
        description: request.description,
        amount: {
          currencyCode: request.currency,
          value: toPayPalValue({ amount: request.amount, currency: request.currency }),
        },
      },
    ],
    paymentSource: {
      paypal: {
        ...(request.customerEmail === null ? {} : { emailAddress: request.customerEmail }),
        experienceContext: {
          returnUrl: request.successUrl,
          cancelUrl: request.cancelUrl,
          locale: paypalLocale(request.locale),
          userAction: PaypalExperienceUserAction.PayNow,
          shippingPreference: PaypalWalletContextShippingPreference.NoShipping,
        },
      },
    },
  };
}
