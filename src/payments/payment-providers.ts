import type { Config } from "../config.ts";
import type { PaymentProvider } from "./payment-provider.ts";
import { createSandboxProvider } from "./sandbox-provider.ts";

/** The providers this deployment can charge through, by name; wired once at start. */
export type PaymentProviders = ReadonlyMap<string, PaymentProvider>;

export function createPaymentProviders({ config }: { config: Config }): PaymentProviders {
  const providers = new Map<string, PaymentProvider>();
  if (config.testMode) providers.set("sandbox", createSandboxProvider());
  return providers;
}
