/**
 * What Abono stores for a Stripe payment method: `cus_…/pm_…`. An off-session PaymentIntent needs both
 * the Customer and the PaymentMethod attached to it, and keeping the pair in the token spares a lookup
 * (and a Stripe call) on every renewal.
 */
export interface StripeStoredToken {
  customerId: string;
  paymentMethodId: string;
}

const storedTokenPattern = /^(cus_[A-Za-z0-9]+)\/(pm_[A-Za-z0-9_]+)$/;

export function formatStripeStoredToken({
  customerId,
  paymentMethodId,
}: StripeStoredToken): string {
  return `${customerId}/${paymentMethodId}`;
}

/** Null when the token is not a `cus_…/pm_…` pair (a token stored for another provider, or corrupted). */
export function parseStripeStoredToken(token: string): StripeStoredToken | null {
  const match = storedTokenPattern.exec(token);
  if (!match?.[1] || !match[2]) return null;
  return { customerId: match[1], paymentMethodId: match[2] };
}
