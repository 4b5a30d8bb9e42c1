import { type PaymentsController, RefundStatus } from "@paypal/paypal-server-sdk";
import type { RefundRequest, RefundResult } from "../../payments/payment-provider.ts";
import { PayPalApiError } from "./paypal-api-error.ts";
import { toPayPalValue } from "./to-paypal-value.ts";

/** PayPal's answers that mean "this refund cannot be made" rather than "try again later". */
const refusedStatusCodes = new Set([400, 404, 422]);

/**
 * Refunds part or all of a capture (`providerPaymentId` is the capture id). Abono's refund id is the
 * PayPal-Request-Id, so a retried refund is made once. A PENDING refund has been accepted by PayPal and
 * counts as made; FAILED or CANCELLED, or a 400/404/422 refusal, is a failed result. Authentication,
 * conflicts and server errors throw `PayPalApiError`.
 */
export async function refundPayPalCapture({
  payments,
  request: { providerPaymentId, amount, currency, refundId },
}: {
  payments: PaymentsController;
  request: RefundRequest;
}): Promise<RefundResult> {
  const value = toPayPalValue({ amount, currency });
  try {
    const { result } = await payments.refundCapturedPayment({
      captureId: providerPaymentId,
      paypalRequestId: refundId,
      prefer: "return=representation",
      body: { amount: { currencyCode: currency, value } },
    });
    if (result.id === undefined) {
      return { status: "failed", message: "PayPal answered the refund without a refund id." };
    }
    if (result.status === RefundStatus.Failed || result.status === RefundStatus.Cancelled) {
      return {
        status: "failed",
        message: `PayPal refund ${result.id} of capture ${providerPaymentId} is ${result.status}.`,
      };
    }
    return { status: "succeeded", providerRefundId: result.id };
  } catch (error) {
    const failure = PayPalApiError.from({
      error,
      operation: `refund of capture ${providerPaymentId}`,
    });
    if (failure.statusCode !== null && refusedStatusCodes.has(failure.statusCode)) {
      return { status: "failed", message: failure.message };
    }
    throw failure;
  }
}
