import Stripe from "stripe";
import { PaymentMethodRejectedError } from "../../payments/payment-provider.ts";
import { describeStripeCard } from "./describe-stripe-card.ts";
import { findOrCreateStripeCustomer } from "./find-or-create-stripe-customer.ts";
import { formatStripeStoredToken } from "./stripe-stored-token.ts";

/**
 * Accepts a card PaymentMethod (`pm_…`, collected in the browser with Stripe.js) for an organization:
 * attaches it to the organization's Customer, which off-session charges require, and returns
 * `cus_…/pm_…` to store. The id Stripe returns is stored, not the one sent: Stripe's test tokens
 * (`pm_card_visa`) are cloned into a new PaymentMethod on attach. Only cards are accepted, because
 * `charge` confirms off-session and expects an immediate outcome, which bank debits do not give.
 */
export async function validateStripePaymentMethod({
  stripe,
  token,
  organizationId,
  email,
}: {
  stripe: Stripe;
  token: string;
  organizationId: string;
  email: string | null;
}): Promise<{ description: string; storedToken: string }> {
  if (!/^pm_\w+$/.test(token)) {
    throw new PaymentMethodRejectedError(
      `"${token}" is not a Stripe PaymentMethod id; collect the card with Stripe.js (stripe.createPaymentMethod) and send its pm_… id.`,
    );
  }
  const method = await rejectingStripeErrors(token, () => stripe.paymentMethods.retrieve(token));
  if (method.type !== "card" || !method.card) {
    throw new PaymentMethodRejectedError(
      `Stripe payment method ${token} is a ${method.type}; Abono charges cards only, so send a card PaymentMethod.`,
    );
  }
  const customerId = await findOrCreateStripeCustomer({ stripe, organizationId, email });
  const attached = await rejectingStripeErrors(token, () =>
    stripe.paymentMethods.attach(token, { customer: customerId }),
  );
  const card = attached.card ?? method.card;
  return {
    description: describeStripeCard({ brand: card.brand, last4: card.last4 }),
    storedToken: formatStripeStoredToken({ customerId, paymentMethodId: attached.id }),
  };
}

/** Stripe's objections to the method itself become `PaymentMethodRejectedError` (a 400 for the caller). */
async function rejectingStripeErrors<T>(token: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) {
      throw new PaymentMethodRejectedError(
        `Stripe declined card ${token}: ${error.message} Ask the customer for another card.`,
      );
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      throw new PaymentMethodRejectedError(
        error.code === "resource_missing"
          ? `Stripe has no payment method "${token}" in this account; create it with Stripe.js using this account's publishable key (test and live keys do not share payment methods).`
          : `Stripe refused payment method "${token}": ${error.message}`,
      );
    }
    throw error;
  }
}
