import type { PaymentNotice } from "../../payments/checkout-provider.ts";
import { chargeFailureFromStatusDetail } from "./charge-failure-from-status-detail.ts";
import { fromMercadoPagoAmount } from "./from-mercadopago-amount.ts";
import type { PaymentResponse } from "./mercadopago-api.ts";
import { MercadoPagoApiError } from "./mercadopago-api-error.ts";

/** The fields of a MercadoPago payment that say what happened to it. */
export type MercadoPagoPayment = Pick<
  PaymentResponse,
  | "id"
  | "status"
  | "status_detail"
  | "external_reference"
  | "transaction_amount"
  | "transaction_amount_refunded"
  | "currency_id"
  | "refunds"
>;

/**
 * What a payment, as fetched from MercadoPago's API, means to Abono:
 * - any money returned (`refunded`, `charged_back`, or `transaction_amount_refunded` > 0 on a partial
 *   refund, which leaves the status `approved`) → `refunded`, with the cumulative amount and the latest
 *   refund's id. A chargeback returns the whole payment and names no refund;
 * - `approved` → `payment_succeeded` for the checkout in `external_reference`;
 * - `rejected` / `cancelled` → `payment_failed`;
 * - `pending` / `in_process` / `authorized` → `pending`;
 * - anything else (`in_mediation`, a status MercadoPago adds later) → `ignored`.
 */
export function interpretMercadoPagoPayment(payment: MercadoPagoPayment): PaymentNotice {
  if (payment.id === undefined || payment.id === null) {
    throw new MercadoPagoApiError({
      operation: "get payment",
      status: null,
      message: "MercadoPago returned a payment without an id.",
    });
  }
  const providerPaymentId = String(payment.id);
  const checkoutId = payment.external_reference || null;
  const status = payment.status ?? "";
  const refunded = payment.transaction_amount_refunded ?? 0;

  if (status === "refunded" || status === "charged_back" || refunded > 0) {
    const currency = currencyOf(payment, providerPaymentId);
    const returned =
      status === "charged_back" || refunded <= 0 ? payment.transaction_amount : refunded;
    return {
      kind: "refunded",
      providerPaymentId,
      amountRefunded: fromMercadoPagoAmount({ value: returned, currency }),
      currency,
      providerRefundId: status === "charged_back" ? null : latestRefundId(payment.refunds),
    };
  }
  switch (status) {
    case "approved": {
      const currency = currencyOf(payment, providerPaymentId);
      return {
        kind: "payment_succeeded",
        checkoutId,
        providerPaymentId,
        amount: fromMercadoPagoAmount({ value: payment.transaction_amount, currency }),
        currency,
      };
    }
    case "rejected":
    case "cancelled":
      return {
        kind: "payment_failed",
        checkoutId,
        providerPaymentId,
        ...chargeFailureFromStatusDetail({ status, statusDetail: payment.status_detail }),
      };
    case "pending":
    case "in_process":
    case "authorized":
      return { kind: "pending", checkoutId, providerPaymentId };
    default:
      return {
        kind: "ignored",
        reason: `MercadoPago payment ${providerPaymentId} is ${status || "without a status"}.`,
      };
  }
}

function currencyOf(payment: MercadoPagoPayment, providerPaymentId: string): string {
  if (!payment.currency_id) {
    throw new MercadoPagoApiError({
      operation: "get payment",
      status: null,
      message: `MercadoPago returned payment ${providerPaymentId} without a currency_id.`,
    });
  }
  return payment.currency_id;
}

/** The id of the most recently created refund; MercadoPago lists refunds oldest first. */
function latestRefundId(refunds: MercadoPagoPayment["refunds"]): string | null {
  const withIds = (refunds ?? []).filter((refund) => refund.id !== undefined && refund.id !== null);
  const latest = withIds.reduce<(typeof withIds)[number] | undefined>(
    (found, refund) =>
      found === undefined || (refund.date_created ?? "") >= (found.date_created ?? "")
        ? refund
        : found,
    undefined,
  );
  return latest === undefined ? null : String(latest.id);
}
