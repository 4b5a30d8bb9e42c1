import type { CheckoutProvider } from "./checkout-provider.ts";
import type { PaymentProvider } from "./payment-provider.ts";
import type { PaymentProviders } from "./payment-providers.ts";

const isCheckoutProvider = (provider: PaymentProvider): provider is CheckoutProvider =>
  "createCheckout" in provider && "verifyWebhook" in provider;

/** The configured provider of that name if it runs hosted checkouts and webhooks. */
export function checkoutProviderOf(
  providers: PaymentProviders,
  name: string,
): CheckoutProvider | undefined {
  const provider = providers.get(name);
  return provider && isCheckoutProvider(provider) ? provider : undefined;
}

/** What a checkout may name as its provider here: the configured checkout providers, and the sandbox in test mode. */
export function offeredCheckoutProviders(providers: PaymentProviders): string[] {
  return [...providers.values()]
    .filter((provider) => isCheckoutProvider(provider) || provider.name === "sandbox")
    .map((provider) => provider.name);
}
