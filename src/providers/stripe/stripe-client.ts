import Stripe from "stripe";
import {
  providerMaxNetworkRetries,
  providerRequestTimeoutMs,
} from "../../payments/provider-timeouts.ts";

/**
 * Retries on connection errors, 409s and 5xx. Safe because every write Abono sends carries an
 * idempotency key (payment id, refund id, checkout id, organization id), so a retried request is
 * answered with the first response instead of charging twice.
 */
const defaultMaxNetworkRetries = providerMaxNetworkRetries;

/**
 * Builds the Stripe SDK client. `apiUrl` is an origin (`http://127.0.0.1:54321` for the fake Stripe in
 * tests); the SDK takes it as host, port and protocol and always adds `/v1/…` itself, so an origin
 * with a path is refused here rather than silently ignored. Telemetry is off: it only reports
 * latencies to Stripe and would leak test traffic patterns to whoever serves `apiUrl`.
 */
export function createStripeClient({
  secretKey,
  apiUrl,
  maxNetworkRetries = defaultMaxNetworkRetries,
  timeoutMs = providerRequestTimeoutMs,
}: {
  secretKey: string;
  apiUrl: string | undefined;
  maxNetworkRetries?: number;
  timeoutMs?: number;
}): Stripe {
  return new Stripe(secretKey, {
    ...(apiUrl === undefined ? {} : stripeOrigin(apiUrl)),
    maxNetworkRetries,
    // The SDK's default is 80 s per try; a call must end well within an Idempotency-Key lease.
    timeout: timeoutMs,
    telemetry: false,
    appInfo: { name: "Abono" },
  });
}

function stripeOrigin(apiUrl: string): {
  host: string;
  port: number;
  protocol: "http" | "https";
} {
  const url = new URL(apiUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(
      `ABONO_STRIPE_API_URL must be an http(s) origin such as http://127.0.0.1:12111, got ${JSON.stringify(apiUrl)}.`,
    );
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw new Error(
      `ABONO_STRIPE_API_URL must be an origin without a path (the SDK adds /v1/ itself): use ${JSON.stringify(url.origin)} instead of ${JSON.stringify(apiUrl)}.`,
    );
  }
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    host: url.hostname,
    port: url.port === "" ? (protocol === "http" ? 80 : 443) : Number(url.port),
    protocol,
  };
}
