import type { CheckoutRequest } from "../../payments/checkout-provider.ts";
import type { PreferenceRequest } from "./mercadopago-api.ts";
import { toMercadoPagoAmount } from "./to-mercadopago-amount.ts";

/**
 * The Checkout Pro preference for one Abono checkout: a single item at the checkout's amount,
 * `external_reference` = the checkout id (it comes back on the payment), the customer sent back to
 * `successUrl` when the payment is approved or pending and to `cancelUrl` when it fails.
 *
 * `notification_url` gets `source_news=webhooks`, which MercadoPago documents as the way to receive only
 * Webhooks notifications (signed with `x-signature`) and not also the older unsigned IPN ones, which
 * Abono could not verify and would refuse. `locale` has no preference field: MercadoPago picks the
 * checkout language from the site of the seller's account.
 */
export function buildPreferenceRequest(request: CheckoutRequest): PreferenceRequest {
  return {
    items: [
      {
        id: request.checkoutId,
        title: request.description,
        quantity: 1,
        unit_price: toMercadoPagoAmount({ amount: request.amount, currency: request.currency }),
        currency_id: request.currency,
      },
    ],
    external_reference: request.checkoutId,
    metadata: { checkout_id: request.checkoutId, organization_id: request.organizationId },
    back_urls: {
      success: request.successUrl,
      failure: request.cancelUrl,
      pending: request.successUrl,
    },
    auto_return: "approved",
    notification_url: webhooksOnly(request.webhookUrl),
    ...(request.customerEmail ? { payer: { email: request.customerEmail } } : {}),
  };
}

function webhooksOnly(webhookUrl: string): string {
  const url = new URL(webhookUrl);
  url.searchParams.set("source_news", "webhooks");
  return url.toString();
}
