import type { OrdersController } from "@paypal/paypal-server-sdk";
import type { PaymentNotice } from "../../payments/checkout-provider.ts";
import { captureErrorNotice } from "./capture-error-notice.ts";
import { orderCaptureNotice } from "./order-capture-notice.ts";
import { PayPalApiError } from "./paypal-api-error.ts";

/**
 * Captures an approved order. The PayPal-Request-Id is derived from the checkout, so a retried capture
 * replays PayPal's first answer; once PayPal has forgotten that key, `ORDER_ALREADY_CAPTURED` is answered
 * by reading the order and reporting its existing capture. Either way the same capture id comes back.
 */
export async function capturePayPalOrder({
  orders,
  providerCheckoutId,
  checkoutId,
}: {
  orders: OrdersController;
  providerCheckoutId: string;
  checkoutId: string;
}): Promise<PaymentNotice> {
  let failure: PayPalApiError;
  try {
    const { result } = await orders.captureOrder({
      id: providerCheckoutId,
      paypalRequestId: `capture-${checkoutId}`,
      prefer: "return=representation",
    });
    return orderCaptureNotice({ order: result, checkoutId });
  } catch (error) {
    failure = PayPalApiError.from({ error, operation: `capture of order ${providerCheckoutId}` });
  }
  if (failure.issue === "ORDER_ALREADY_CAPTURED") {
    try {
      const { result } = await orders.getOrder({ id: providerCheckoutId });
      return orderCaptureNotice({ order: result, checkoutId });
    } catch (error) {
      throw PayPalApiError.from({
        error,
        operation: `read of captured order ${providerCheckoutId}`,
      });
    }
  }
  const notice = captureErrorNotice({ failure, checkoutId });
  if (notice === null) throw failure;
  return notice;
}
