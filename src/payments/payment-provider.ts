/**
 * What Abono asks of a payment provider. Adapters (sandbox, Stripe, MercadoPago, PayPal…) translate to
 * their APIs and back to these normalized results; nothing provider-specific reaches subscription code.
 */
export interface PaymentProvider {
  readonly name: string;
  /**
   * Checks a payment method token before it is stored; throws `PaymentMethodRejectedError`. A provider
   * may return the token to store instead (Stripe attaches the method to the organization's customer and
   * stores `cus_…/pm_…`).
   */
  validatePaymentMethod(args: {
    token: string;
    organizationId: string;
    email: string | null;
  }): Promise<{ description: string; storedToken?: string }>;
  /** Charges `amount` (minor units) to a stored payment method. Never throws for a decline. */
  charge(args: ChargeRequest): Promise<ChargeResult>;
  refund(args: RefundRequest): Promise<RefundResult>;
}

export interface ChargeRequest {
  token: string;
  amount: bigint;
  currency: string;
  /** Our payment id; providers use it as their idempotency key unless `idempotencyKey` is given. */
  paymentId: string;
  /**
   * The provider idempotency key when the charge is made for a request with an Idempotency-Key: the
   * same for every execution of that request (src/idempotency/idempotency-context.ts), so a second
   * execution gets the first one's payment instead of a second charge. Only parameters that are the
   * same in every execution may then be sent with it.
   */
  idempotencyKey?: string | undefined;
  invoiceId: string;
  organizationId: string;
  description: string;
}

export type ChargeFailureCode =
  | "card_declined"
  | "insufficient_funds"
  | "expired_card"
  | "authentication_required"
  | "processing_error"
  | "no_payment_method";

export type ChargeResult =
  | { status: "succeeded"; providerPaymentId: string }
  | {
      status: "failed";
      code: ChargeFailureCode;
      message: string;
      providerPaymentId: string | null;
      /**
       * No answer says whether the customer was charged (a timeout, a 5xx): an operation that must not
       * go on without the payment answers 502 and a retry finds the outcome with the same idempotency key.
       */
      outcomeUnknown?: boolean;
    };

export interface RefundRequest {
  providerPaymentId: string;
  amount: bigint;
  currency: string;
  refundId: string;
}

export type RefundResult =
  | { status: "succeeded"; providerRefundId: string }
  | { status: "failed"; message: string };

export class PaymentMethodRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PaymentMethodRejectedError";
  }
}
