import type { PayPalConfig } from "../../config.ts";
import type { CheckoutProvider } from "../../payments/checkout-provider.ts";
import { PaymentMethodRejectedError } from "../../payments/payment-provider.ts";
import { capturePayPalOrder } from "./capture-paypal-order.ts";
import { checkoutSessionFromOrder } from "./checkout-session-from-order.ts";
import { createPayPalClient } from "./create-paypal-client.ts";
import { interpretPayPalWebhook } from "./interpret-paypal-webhook.ts";
import { PayPalApiError } from "./paypal-api-error.ts";
import { paypalOrderRequest } from "./paypal-order-request.ts";
import { refundPayPalCapture } from "./refund-paypal-capture.ts";
import { requestWebhookVerification } from "./request-webhook-verification.ts";
import { verifyPayPalWebhook } from "./verify-paypal-webhook.ts";

/**
 * PayPal through the official server SDK (Orders v2): the customer approves an order at PayPal, Abono
 * captures it when PayPal sends them back, and `PAYMENT.CAPTURE.*` webhooks, verified by PayPal's
 * verify-webhook-signature API, confirm or correct what capture said. PayPal accounts are not stored for
 * automatic charges.
 */
export function createPayPalProvider(config: PayPalConfig): CheckoutProvider {
  const client = createPayPalClient(config);
  return {
    name: "paypal",

    async createCheckout(request) {
      const body = paypalOrderRequest(request);
      try {
        const { result } = await client.orders.createOrder({
          body,
          paypalRequestId: request.checkoutId,
        });
        return checkoutSessionFromOrder(result);
      } catch (error) {
        throw PayPalApiError.from({ error, operation: `order creation for ${request.checkoutId}` });
      }
    },

    capture({ providerCheckoutId, checkoutId }) {
      return capturePayPalOrder({ orders: client.orders, providerCheckoutId, checkoutId });
    },

    verifyWebhook(request) {
      return verifyPayPalWebhook({
        request,
        webhookId: config.webhookId,
        verify: (body) => requestWebhookVerification({ client, body }),
      });
    },

    async interpretWebhook(event) {
      return interpretPayPalWebhook(event);
    },

    refund(request) {
      return refundPayPalCapture({ payments: client.payments, request });
    },

    async validatePaymentMethod() {
      throw new PaymentMethodRejectedError(
        "PayPal payments are made through checkout (POST /v1/organizations/:orgId/checkout); PayPal accounts cannot be stored for automatic charges here.",
      );
    },

    async charge() {
      return {
        status: "failed",
        code: "processing_error",
        message:
          "PayPal cannot charge a stored payment method here; the customer pays through checkout (POST /v1/organizations/:orgId/checkout).",
        providerPaymentId: null,
      };
    },
  };
}
