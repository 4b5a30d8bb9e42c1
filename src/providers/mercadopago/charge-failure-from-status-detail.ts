import type { ChargeFailureCode } from "../../payments/payment-provider.ts";

const failures: Record<string, { code: ChargeFailureCode; message: string }> = {
  cc_rejected_insufficient_amount: {
    code: "insufficient_funds",
    message: "The card has insufficient funds.",
  },
  cc_rejected_bad_filled_date: {
    code: "expired_card",
    message: "The card's expiration date is wrong or the card has expired.",
  },
  cc_rejected_bad_filled_security_code: {
    code: "card_declined",
    message: "The card's security code is wrong.",
  },
  cc_rejected_bad_filled_card_number: {
    code: "card_declined",
    message: "The card number is wrong.",
  },
  cc_rejected_call_for_authorize: {
    code: "card_declined",
    message: "The card issuer asks the cardholder to authorize the payment with them first.",
  },
  cc_rejected_card_disabled: {
    code: "card_declined",
    message: "The card is not activated; the cardholder has to call the issuer.",
  },
  cc_rejected_duplicated_payment: {
    code: "card_declined",
    message: "MercadoPago rejected the payment as a duplicate of one already made.",
  },
  cc_rejected_high_risk: {
    code: "card_declined",
    message: "MercadoPago rejected the payment to prevent fraud.",
  },
  cc_rejected_max_attempts: {
    code: "card_declined",
    message: "The card reached its limit of payment attempts.",
  },
};

/**
 * Abono's failure code and a message for a rejected or cancelled MercadoPago payment's `status_detail`.
 * Only insufficient funds and a bad expiration date have codes of their own; every other reason is
 * `card_declined`, with MercadoPago's reason in the message.
 */
export function chargeFailureFromStatusDetail({
  status,
  statusDetail,
}: {
  status: string;
  statusDetail: string | undefined;
}): { code: ChargeFailureCode; message: string } {
  const known = statusDetail === undefined ? undefined : failures[statusDetail];
  if (known) return known;
  const verb = status === "cancelled" ? "cancelled" : "rejected";
  return {
    code: "card_declined",
    message: `MercadoPago ${verb} the payment${statusDetail ? ` (${statusDetail})` : ""}.`,
  };
}
