import type { Order } from "@paypal/paypal-server-sdk";
import type { CheckoutSession } from "../../payments/checkout-provider.ts";
import { PayPalApiError } from "./paypal-api-error.ts";

/** The order id and the link that takes the buyer to PayPal (`payer-action`, or `approve` on older flows). */
export function checkoutSessionFromOrder(order: Order): CheckoutSession {
  const link =
    order.links?.find((candidate) => candidate.rel === "payer-action") ??
    order.links?.find((candidate) => candidate.rel === "approve");
  if (order.id === undefined || link === undefined) {
    throw new PayPalApiError({
      message: `PayPal created order ${order.id ?? "(no id)"} without a payer-action or approve link; the buyer cannot be sent to PayPal.`,
    });
  }
  return { providerCheckoutId: order.id, redirectUrl: link.href };
}
