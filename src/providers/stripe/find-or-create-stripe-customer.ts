import Stripe from "stripe";

/**
 * The organization's Stripe Customer id, created on first use. Two safeguards against duplicates without
 * storing anything in Abono: a search by `metadata.organizationId` finds a customer of any age, and the
 * creation's idempotency key (derived from the organization id) covers the minute during which Stripe's
 * search index has not caught up yet — and a retried or concurrent first call. Idempotency keys expire
 * after 24 h, which is why the search comes first. Accounts without search (Stripe does not offer it in
 * every region) fall back to the key alone.
 */
export async function findOrCreateStripeCustomer({
  stripe,
  organizationId,
  email,
}: {
  stripe: Stripe;
  organizationId: string;
  email: string | null;
}): Promise<string> {
  const existing = await searchCustomer({ stripe, organizationId });
  if (existing) return existing;
  const created = await stripe.customers.create(
    { metadata: { organizationId }, ...(email ? { email } : {}) },
    { idempotencyKey: stripeCustomerIdempotencyKey(organizationId) },
  );
  return created.id;
}

export function stripeCustomerIdempotencyKey(organizationId: string): string {
  return `abono-customer-${organizationId}`;
}

async function searchCustomer({
  stripe,
  organizationId,
}: {
  stripe: Stripe;
  organizationId: string;
}): Promise<string | null> {
  const quoted = organizationId.replaceAll("\\", "\\\\").replaceAll("'", "\\'");
  try {
    const found = await stripe.customers.search({
      query: `metadata['organizationId']:'${quoted}'`,
      limit: 1,
    });
    return found.data[0]?.id ?? null;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError) return null;
    throw error;
  }
}
