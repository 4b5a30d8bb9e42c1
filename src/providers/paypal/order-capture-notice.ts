import { CaptureStatus, type Order } from "@paypal/paypal-server-sdk";
import type { PaymentNotice } from "../../payments/checkout-provider.ts";
import { fromPayPalValue } from "./from-paypal-value.ts";
import { PayPalApiError } from "./paypal-api-error.ts";

/**
 * What a captured order says about the payment. The payment id is the capture id (the id that
 * `PAYMENT.CAPTURE.*` webhooks carry), never the order id, so capture and webhook name the same payment.
 */
export function orderCaptureNotice({
  order,
  checkoutId,
}: {
  order: Order;
  /** Abono's checkout id, used when the purchase unit carries no `custom_id`. */
  checkoutId: string;
}): PaymentNotice {
  const unit = order.purchaseUnits?.[0];
  const capture = unit?.payments?.captures?.at(-1);
  if (capture?.id === undefined || capture.amount === undefined) {
    throw new PayPalApiError({
      message: `PayPal order ${order.id ?? "(no id)"} (status ${order.status ?? "unknown"}) has no capture with an id and amount.`,
    });
  }
  const abonoCheckoutId = unit?.customId ?? checkoutId;
  switch (capture.status) {
    case CaptureStatus.Completed:
    case CaptureStatus.PartiallyRefunded:
    case CaptureStatus.Refunded:
      return {
        kind: "payment_succeeded",
        checkoutId: abonoCheckoutId,
        providerPaymentId: capture.id,
        amount: fromPayPalValue({
          value: capture.amount.value,
          currency: capture.amount.currencyCode,
        }),
        currency: capture.amount.currencyCode,
      };
    case CaptureStatus.Pending:
      return { kind: "pending", checkoutId: abonoCheckoutId, providerPaymentId: capture.id };
    case CaptureStatus.Declined:
    case CaptureStatus.Failed:
      return {
        kind: "payment_failed",
        checkoutId: abonoCheckoutId,
        providerPaymentId: capture.id,
        code: "card_declined",
        message: `PayPal did not complete the payment (capture ${capture.id} is ${capture.status}).`,
      };
    default:
      throw new PayPalApiError({
        message: `PayPal capture ${capture.id} has an unknown status ${String(capture.status)}.`,
      });
  }
}
