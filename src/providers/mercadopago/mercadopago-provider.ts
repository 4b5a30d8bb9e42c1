import type { MercadoPagoConfig } from "../../config.ts";
import type { CheckoutProvider } from "../../payments/checkout-provider.ts";
import { PaymentMethodRejectedError } from "../../payments/payment-provider.ts";
import { buildPreferenceRequest } from "./build-preference-request.ts";
import { interpretMercadoPagoPayment } from "./interpret-mercadopago-payment.ts";
import { createMercadoPagoApi } from "./mercadopago-api.ts";
import { MercadoPagoApiError } from "./mercadopago-api-error.ts";
import { toMercadoPagoAmount } from "./to-mercadopago-amount.ts";
import { verifyMercadoPagoWebhook } from "./verify-mercadopago-webhook.ts";

const storedMethodsUnsupported =
  "MercadoPago payments are made through checkout (POST /v1/organizations/:orgId/checkout); MercadoPago payment methods cannot be stored for automatic charges.";

/**
 * MercadoPago through Checkout Pro and the official `mercadopago` SDK: a checkout is a preference the
 * customer pays on MercadoPago; payments are confirmed by fetching them when a signed Webhooks
 * notification names them; refunds go through the payment's refunds API.
 *
 * MercadoPago payment methods are never stored, so there is nothing to charge automatically:
 * `validatePaymentMethod` refuses every token and `charge` fails with `processing_error`. A renewal of
 * a MercadoPago customer is paid through a new checkout.
 *
 * API failures throw `MercadoPagoApiError`, except a refund MercadoPago refuses (HTTP 4xx other than
 * 429), which is a failed `RefundResult`. Without an answer (connection error, 5xx, rate limit) the
 * refund's fate is unknown, so that throws, and a retry with the same `refundId` (the idempotency key)
 * is safe.
 */
export function createMercadoPagoProvider(config: MercadoPagoConfig): CheckoutProvider {
  const api = createMercadoPagoApi({ accessToken: config.accessToken, apiUrl: config.apiUrl });
  return {
    name: "mercadopago",

    async createCheckout(request) {
      const preference = await api.createPreference({
        body: buildPreferenceRequest(request),
        idempotencyKey: request.checkoutId,
      });
      if (!preference.id || !preference.init_point) {
        throw new MercadoPagoApiError({
          operation: "create preference",
          status: null,
          message: "MercadoPago created a preference without an id or init_point.",
        });
      }
      return { providerCheckoutId: preference.id, redirectUrl: preference.init_point };
    },

    async verifyWebhook(request) {
      return verifyMercadoPagoWebhook({ ...request, secret: config.webhookSecret });
    },

    async interpretWebhook(event) {
      if (event.eventType !== "payment") {
        return {
          kind: "ignored",
          reason: `MercadoPago ${event.eventType} notifications are not used.`,
        };
      }
      const paymentId = notifiedResourceId(event.payload);
      if (paymentId === undefined) {
        return {
          kind: "ignored",
          reason: "The MercadoPago payment notification names no data.id.",
        };
      }
      return interpretMercadoPagoPayment(await api.getPayment({ paymentId }));
    },

    async refund({ providerPaymentId, amount, currency, refundId }) {
      try {
        const refund = await api.createRefund({
          paymentId: providerPaymentId,
          amount: toMercadoPagoAmount({ amount, currency }),
          idempotencyKey: refundId,
        });
        if (refund.id === undefined || refund.id === null) {
          throw new MercadoPagoApiError({
            operation: `refund payment ${providerPaymentId}`,
            status: null,
            message: "MercadoPago answered the refund without a refund id.",
          });
        }
        return { status: "succeeded", providerRefundId: String(refund.id) };
      } catch (error) {
        if (error instanceof MercadoPagoApiError && isRefusal(error.status)) {
          return { status: "failed", message: error.message };
        }
        throw error;
      }
    },

    async validatePaymentMethod() {
      throw new PaymentMethodRejectedError(storedMethodsUnsupported);
    },

    async charge() {
      return {
        status: "failed",
        code: "processing_error",
        message: `${storedMethodsUnsupported} Renewals of MercadoPago customers are paid through a new checkout.`,
        providerPaymentId: null,
      };
    },
  };
}

function isRefusal(status: number | null): boolean {
  return status !== null && status >= 400 && status < 500 && status !== 429;
}

/** `data.id` of a verified notification body (the signature vouches for it). */
function notifiedResourceId(payload: unknown): string | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const data = (payload as { data?: unknown }).data;
  if (typeof data !== "object" || data === null) return undefined;
  const id = (data as { id?: unknown }).id;
  if (typeof id === "number" && Number.isSafeInteger(id)) return String(id);
  return typeof id === "string" && id !== "" ? id : undefined;
}
