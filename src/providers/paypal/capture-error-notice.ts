import type { PaymentNotice } from "../../payments/checkout-provider.ts";
import type { ChargeFailureCode } from "../../payments/payment-provider.ts";
import type { PayPalApiError } from "./paypal-api-error.ts";

const declinedIssues = new Set(["INSTRUMENT_DECLINED", "TRANSACTION_REFUSED"]);
const notApprovedIssues = new Set(["ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED"]);

/**
 * The notice for a capture PayPal refused with 422 (a business failure, not worth retrying as is):
 * a declined funding source is `card_declined`; an order the buyer has not approved yet is
 * `authentication_required` (the buyer can still approve it at the redirect URL, so the checkout is not
 * over); anything else is `processing_error`. Other failures are not notices: null.
 */
export function captureErrorNotice({
  failure,
  checkoutId,
}: {
  failure: PayPalApiError;
  checkoutId: string;
}): PaymentNotice | null {
  if (failure.statusCode !== 422) return null;
  const issue = failure.issue ?? "UNPROCESSABLE_ENTITY";
  const code: ChargeFailureCode = declinedIssues.has(issue)
    ? "card_declined"
    : notApprovedIssues.has(issue)
      ? "authentication_required"
      : "processing_error";
  const message =
    code === "card_declined"
      ? "PayPal declined the buyer's funding source; they can choose another one at PayPal and approve again."
      : code === "authentication_required"
        ? "The buyer has not approved the PayPal order yet; send them to the checkout's redirect URL and capture after PayPal returns them."
        : `PayPal refused the capture: ${failure.message}`;
  return { kind: "payment_failed", checkoutId, providerPaymentId: null, code, message };
}
