import type { Config } from "../config.ts";
import { createMercadoPagoProvider } from "../providers/mercadopago/mercadopago-provider.ts";
import { createPayPalProvider } from "../providers/paypal/paypal-provider.ts";
import { createStripeProvider } from "../providers/stripe/stripe-provider.ts";
import type { PaymentProvider } from "./payment-provider.ts";
import { createSandboxProvider } from "./sandbox-provider.ts";

/** The providers this deployment can charge through, by name; wired once at start. */
export type PaymentProviders = ReadonlyMap<string, PaymentProvider>;

/**
 * The sandbox in test mode, and each real provider whose credentials are configured (README, "Payment
 * providers"). Configuration is validated when it is loaded; a provider without credentials is absent,
 * and its webhooks answer 400.
 */
export function createPaymentProviders({ config }: { config: Config }): PaymentProviders {
  const providers = new Map<string, PaymentProvider>();
  if (config.testMode) providers.set("sandbox", createSandboxProvider());
  const { stripe, mercadopago, paypal } = config.providers;
  if (stripe) providers.set("stripe", createStripeProvider(stripe));
  if (mercadopago) providers.set("mercadopago", createMercadoPagoProvider(mercadopago));
  if (paypal) providers.set("paypal", createPayPalProvider(paypal));
  return providers;
}
