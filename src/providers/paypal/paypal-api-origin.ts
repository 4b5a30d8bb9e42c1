import type { PayPalConfig } from "../../config.ts";

/** Where the SDK sends requests for each environment (the SDK's own base URLs). */
export const paypalEnvironmentOrigins = {
  sandbox: "https://api-m.sandbox.paypal.com",
  production: "https://api-m.paypal.com",
} as const;

/** The API origin Abono talks to: `apiUrl` when set (a local fake in tests), else the environment's. */
export function paypalApiOrigin({
  environment,
  apiUrl,
}: Pick<PayPalConfig, "environment" | "apiUrl">): string {
  return (apiUrl ?? paypalEnvironmentOrigins[environment]).replace(/\/+$/, "");
}
