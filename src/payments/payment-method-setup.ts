import { eq } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { organizations } from "../db/schema/index.ts";
import { AbonoError, notFound, validationError } from "../errors.ts";
import type { CheckoutProvider, CheckoutSession } from "./checkout-provider.ts";
import { checkoutProviderOf } from "./checkout-providers.ts";
import { type PaymentMethod, storePaymentMethod } from "./payment-methods.ts";
import type { PaymentProviders } from "./payment-providers.ts";

type SetupProvider = Required<
  Pick<CheckoutProvider, "createPaymentMethodSetup" | "retrievePaymentMethodSetup">
>;

/** A configured provider whose hosted page can save a card (Stripe), or a 400 saying which can. */
function setupProvider(providers: PaymentProviders, name: string): SetupProvider {
  const adapter = checkoutProviderOf(providers, name);
  const create = adapter?.createPaymentMethodSetup?.bind(adapter);
  const retrieve = adapter?.retrievePaymentMethodSetup?.bind(adapter);
  if (create && retrieve) {
    return { createPaymentMethodSetup: create, retrievePaymentMethodSetup: retrieve };
  }
  const able = [...providers.keys()].filter(
    (candidate) => checkoutProviderOf(providers, candidate)?.createPaymentMethodSetup,
  );
  throw validationError(
    `provider: ${name} cannot save a card on its own page here; ${able.length > 0 ? `use ${able.join(", ")}` : "no configured provider can (Stripe does)"}. MercadoPago and PayPal take the payment in their checkout instead (POST /v1/organizations/:orgId/checkouts).`,
  );
}

/**
 * Opens the provider's page where the customer enters a card to keep on file (Stripe Checkout in setup
 * mode). Nothing is stored until the page is completed: `completePaymentMethodSetup` then saves it.
 */
export async function startPaymentMethodSetup({
  db,
  providers,
  organizationId,
  provider,
  makeDefault,
  locale,
  successUrl,
  cancelUrl,
}: {
  db: Database;
  providers: PaymentProviders;
  organizationId: string;
  provider: string;
  makeDefault: boolean;
  locale: "en" | "es" | undefined;
  successUrl: string;
  cancelUrl: string;
}): Promise<CheckoutSession> {
  const adapter = setupProvider(providers, provider);
  const [organization] = await db
    .select({ email: organizations.ownerEmail, locale: organizations.locale })
    .from(organizations)
    .where(eq(organizations.id, organizationId));
  if (!organization) throw notFound("Organization", organizationId);
  try {
    return await adapter.createPaymentMethodSetup({
      organizationId,
      customerEmail: organization.email,
      makeDefault,
      locale: locale ?? organization.locale,
      successUrl,
      cancelUrl,
    });
  } catch (error) {
    throw new AbonoError(
      "provider_error",
      `${provider} could not open its page to add a card: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export type PaymentMethodSetupOutcome =
  | { status: "complete"; paymentMethod: PaymentMethod; organizationId: string }
  | { status: "open" | "expired"; paymentMethod: null; organizationId: string | null };

/**
 * Stores the card a completed setup page collected, as the provider reports it (read back from the
 * provider, never taken from the browser). Called by the webhook (`checkout.session.completed`, mode
 * setup) and by the return page; whichever comes second finds the card already stored. With
 * `organizationId`, a session of another organization is a 404.
 */
export async function completePaymentMethodSetup({
  db,
  providers,
  provider,
  providerSessionId,
  organizationId,
  now,
}: {
  db: Database;
  providers: PaymentProviders;
  provider: string;
  providerSessionId: string;
  organizationId?: string;
  now: Date;
}): Promise<PaymentMethodSetupOutcome> {
  const adapter = setupProvider(providers, provider);
  const state = await adapter.retrievePaymentMethodSetup({ providerSessionId });
  if (
    state === null ||
    state.organizationId === null ||
    (organizationId !== undefined && state.organizationId !== organizationId)
  ) {
    throw notFound("Payment method setup", providerSessionId);
  }
  if (state.status !== "complete") {
    return { status: state.status, paymentMethod: null, organizationId: state.organizationId };
  }
  const paymentMethod = await storePaymentMethod({
    db,
    organizationId: state.organizationId,
    provider,
    storedToken: state.storedToken,
    description: state.description,
    makeDefault: state.makeDefault,
    reuseStored: true,
    now,
  });
  return { status: "complete", paymentMethod, organizationId: state.organizationId };
}
