import Stripe from "stripe";
import type { PaymentMethodSetupState } from "../../payments/checkout-provider.ts";
import { describeStripeCard } from "./describe-stripe-card.ts";
import { formatStripeStoredToken } from "./stripe-stored-token.ts";

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  typeof value === "string" ? value : (value?.id ?? null);

/**
 * What became of a `setup`-mode Checkout Session, read from Stripe (never from the browser or the webhook
 * body): open, expired, or complete with the card its SetupIntent attached to the Customer, as the
 * `cus_…/pm_…` token Abono stores. Null for a session Stripe does not know or that is not a card setup.
 */
export async function readStripeCardSetup({
  stripe,
  providerSessionId,
}: {
  stripe: Stripe;
  providerSessionId: string;
}): Promise<PaymentMethodSetupState | null> {
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.retrieve(providerSessionId);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError) return null;
    throw error;
  }
  if (session.mode !== "setup" || session.metadata?.purpose !== "payment_method") return null;
  const organizationId = session.metadata?.organizationId ?? null;
  const setupIntentId = idOf(session.setup_intent);
  if (session.status !== "complete" || setupIntentId === null) {
    return { status: session.status === "expired" ? "expired" : "open", organizationId };
  }
  const intent = await stripe.setupIntents.retrieve(setupIntentId);
  const paymentMethodId = idOf(intent.payment_method);
  const customerId = idOf(intent.customer) ?? idOf(session.customer);
  if (intent.status !== "succeeded" || paymentMethodId === null || customerId === null) {
    return { status: "open", organizationId };
  }
  const method = await stripe.paymentMethods.retrieve(paymentMethodId);
  return {
    status: "complete",
    organizationId,
    makeDefault: session.metadata?.makeDefault === "true",
    storedToken: formatStripeStoredToken({ customerId, paymentMethodId }),
    description: describeStripeCard({
      brand: method.card?.brand ?? "card",
      last4: method.card?.last4 ?? "",
    }),
  };
}
