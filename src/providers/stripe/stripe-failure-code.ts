import type { ChargeFailureCode } from "../../payments/payment-provider.ts";

/**
 * Stripe's reason for a failed payment → Abono's failure code. Stripe reports an issuer decline as
 * `code: "card_declined"` with the issuer's reason in `decline_code` (`insufficient_funds`,
 * `expired_card`, `authentication_required`, `generic_decline`…), and some reasons as the `code` itself
 * (`expired_card`, `authentication_required`, `processing_error`), so both are read. A PaymentIntent left
 * in `requires_action` means the bank wants the customer present (3-D Secure): an off-session charge
 * cannot finish it. Anything unrecognized is a plain decline, the code dunning treats as retryable.
 */
export function stripeFailureCode({
  code,
  declineCode,
  paymentIntentStatus,
}: {
  code: string | null | undefined;
  declineCode: string | null | undefined;
  paymentIntentStatus?: string | null | undefined;
}): ChargeFailureCode {
  const reasons = [declineCode, code];
  if (reasons.includes("insufficient_funds")) return "insufficient_funds";
  if (reasons.includes("expired_card")) return "expired_card";
  if (paymentIntentStatus === "requires_action" || reasons.includes("authentication_required")) {
    return "authentication_required";
  }
  if (reasons.includes("processing_error")) return "processing_error";
  return "card_declined";
}
