import type { ChargeFailureCode, PaymentProvider } from "./payment-provider.ts";

/**
 * A provider that can take a customer through a hosted checkout and tell Abono, by webhook or capture, what
 * happened to the payment. Stripe, MercadoPago and PayPal implement it (and `PaymentProvider` for
 * refunds and, where the provider supports it, charges to stored payment methods).
 *
 * Adapters translate; they never touch the database. Abono stores every inbound event, runs the payment
 * success pipeline and decides what a notice means for the organization.
 */
export interface CheckoutProvider extends PaymentProvider {
  readonly name: CheckoutProviderName;
  /** Creates the provider's checkout (Checkout Session, preference, order) for one amount. */
  createCheckout(request: CheckoutRequest): Promise<CheckoutSession>;
  /**
   * Verifies an inbound webhook with the provider's real scheme (signature, timestamp tolerance, or the
   * provider's verification API) and returns the parsed event. Throws `WebhookVerificationError` when the
   * signature is missing, wrong or stale, or when the provider is not configured to verify webhooks.
   */
  verifyWebhook(request: WebhookRequest): Promise<VerifiedWebhook>;
  /**
   * What a verified event says about a payment. May call the provider's API (MercadoPago confirms the
   * payment by fetching it). Events Abono does not act on return `{ kind: "ignored" }`.
   */
  interpretWebhook(event: VerifiedWebhook): Promise<PaymentNotice>;
  /**
   * Stripe: a hosted page (Checkout in `setup` mode) where the customer enters a card that Abono then
   * stores for later charges. Providers that only take payments in their checkout leave it undefined.
   */
  createPaymentMethodSetup?(request: PaymentMethodSetupRequest): Promise<CheckoutSession>;
  /** What became of a setup page, read from the provider; null when the provider does not know it. */
  retrievePaymentMethodSetup?(request: {
    providerSessionId: string;
  }): Promise<PaymentMethodSetupState | null>;
  /** PayPal: captures an order the customer approved. Other providers leave it undefined. */
  capture?(request: { providerCheckoutId: string; checkoutId: string }): Promise<PaymentNotice>;
}

export type CheckoutProviderName = "stripe" | "mercadopago" | "paypal";

export interface CheckoutRequest {
  /** Abono's checkout id (`chk_…`): the provider's reference and idempotency key; it comes back in notices. */
  checkoutId: string;
  organizationId: string;
  /** Minor units of `currency`. */
  amount: bigint;
  currency: string;
  /** Shown to the customer by the provider, e.g. "Pro (yearly)". */
  description: string;
  customerEmail: string | null;
  locale: "en" | "es";
  successUrl: string;
  cancelUrl: string;
  /** Where the provider should send its notifications (MercadoPago's `notification_url`). */
  webhookUrl: string;
}

export interface PaymentMethodSetupRequest {
  organizationId: string;
  customerEmail: string | null;
  /** Whether the card becomes the default once saved; it travels with the provider's session. */
  makeDefault: boolean;
  locale: "en" | "es";
  /** May contain `{CHECKOUT_SESSION_ID}`, which Stripe replaces with the session's id. */
  successUrl: string;
  cancelUrl: string;
}

export type PaymentMethodSetupState =
  | { status: "open" | "expired"; organizationId: string | null }
  | {
      status: "complete";
      organizationId: string | null;
      makeDefault: boolean;
      /** What Abono stores and charges later, e.g. Stripe's `cus_…/pm_…`. */
      storedToken: string;
      /** E.g. "Visa •••• 4242". */
      description: string;
    };

export interface CheckoutSession {
  /** Checkout Session id (`cs_…`), preference id, or PayPal order id. */
  providerCheckoutId: string;
  /** Where the customer goes to pay. */
  redirectUrl: string;
}

export interface WebhookRequest {
  /** The body exactly as received; signatures are computed over these bytes. */
  rawBody: Buffer;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** Query string parameters (MercadoPago sends `data.id` and `type` there). */
  query: Record<string, string | undefined>;
  /** For timestamp tolerance checks. */
  now: Date;
}

export interface VerifiedWebhook {
  /** The provider's event id (Stripe `evt_…`, MercadoPago notification id, PayPal `WH-…`). */
  eventId: string;
  eventType: string;
  payload: unknown;
}

export type PaymentNotice =
  | {
      kind: "payment_succeeded";
      /** Abono's checkout id, from the provider's reference field; null when the payment is not ours. */
      checkoutId: string | null;
      providerPaymentId: string;
      /** Minor units. */
      amount: bigint;
      currency: string;
    }
  | {
      kind: "payment_failed";
      checkoutId: string | null;
      providerPaymentId: string | null;
      code: ChargeFailureCode;
      message: string;
    }
  | {
      kind: "refunded";
      providerPaymentId: string;
      /** Everything refunded on this payment so far (cumulative), minor units. */
      amountRefunded: bigint;
      currency: string;
      /** The latest refund's id at the provider, when the event names one. */
      providerRefundId: string | null;
    }
  | { kind: "pending"; checkoutId: string | null; providerPaymentId: string | null }
  /** A setup page (Stripe Checkout in `setup` mode) was completed: a payment method to store. */
  | { kind: "payment_method_setup"; providerSessionId: string }
  | { kind: "ignored"; reason: string };

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}
