import {
  Client,
  type Configuration,
  Environment,
  OrdersController,
  PaymentsController,
} from "@paypal/paypal-server-sdk";
import type { PayPalConfig } from "../../config.ts";
import { providerRequestTimeoutMs } from "../../payments/provider-timeouts.ts";
import { paypalApiOrigin, paypalEnvironmentOrigins } from "./paypal-api-origin.ts";
import { createPayPalTokenCache, tokenRefreshMarginSeconds } from "./paypal-token-cache.ts";

export interface PayPalClient {
  orders: OrdersController;
  payments: PaymentsController;
  /** The origin every request goes to, for calls the SDK has no controller for. */
  origin: string;
  /** The SDK's client-credentials token, shared with its controllers. */
  accessToken(): Promise<string>;
}

/**
 * The official SDK client, authenticated with client credentials. The SDK only knows PayPal's two
 * origins (its `Environment` has no custom base URL), so when `apiUrl` is set the client rewrites each
 * request's origin in a request interceptor, the same hook the SDK uses to add its User-Agent; every
 * request, including the OAuth token call, then reaches `apiUrl` exactly as the SDK built it.
 */
export function createPayPalClient(config: PayPalConfig): PayPalClient {
  const origin = paypalApiOrigin(config);
  const sdkOrigin = paypalEnvironmentOrigins[config.environment];
  const tokens = createPayPalTokenCache();
  const configuration: Partial<Configuration> = {
    environment: config.environment === "production" ? Environment.Production : Environment.Sandbox,
    // Per request; the SDK retries no POST, so one call is the token request and the call itself.
    timeout: providerRequestTimeoutMs,
    clientCredentialsAuthCredentials: {
      oAuthClientId: config.clientId,
      oAuthClientSecret: config.clientSecret,
      oAuthClockSkew: tokenRefreshMarginSeconds,
      oAuthTokenProvider: (_lastToken, authManager) => tokens.token(authManager),
    },
  };
  const client =
    origin === sdkOrigin
      ? new Client(configuration)
      : createClientAtOrigin({ configuration, from: sdkOrigin, to: origin });
  return {
    orders: new OrdersController(client),
    payments: new PaymentsController(client),
    origin,
    async accessToken() {
      return (await tokens.token(client.clientCredentialsAuthManager)).accessToken;
    },
  };
}

function createClientAtOrigin({
  configuration,
  from,
  to,
}: {
  configuration: Partial<Configuration>;
  from: string;
  to: string;
}): Client {
  const rebase = (url: string) => (url.startsWith(from) ? to + url.slice(from.length) : url);
  class ClientAtOrigin extends Client {
    override getRequestBuilderFactory(): ReturnType<Client["getRequestBuilderFactory"]> {
      const createRequest = super.getRequestBuilderFactory();
      return (method, path) => {
        const request = createRequest(method, path);
        request.interceptRequest((built) => ({ ...built, url: rebase(built.url) }));
        return request;
      };
    }
  }
  return new ClientAtOrigin(configuration);
}
