import type { ClientCredentialsAuthManager, OAuthToken } from "@paypal/paypal-server-sdk";

/** Tokens are replaced this long before PayPal says they expire (the SDK's clock skew is the same). */
export const tokenRefreshMarginSeconds = 60;

export interface PayPalTokenCache {
  /** A valid client-credentials token, fetched through the SDK's own auth manager when missing or expiring. */
  token(authManager: ClientCredentialsAuthManager): Promise<OAuthToken>;
}

/**
 * One OAuth token (client credentials, `POST /v1/oauth2/token` with Basic auth) shared by the SDK's
 * controllers and Abono's direct calls, kept until shortly before it expires. Concurrent callers share one
 * token request.
 */
export function createPayPalTokenCache(): PayPalTokenCache {
  let current: OAuthToken | undefined;
  let inFlight: Promise<OAuthToken> | undefined;
  return {
    async token(authManager) {
      if (current !== undefined && !expiresSoon(current)) return current;
      inFlight ??= authManager
        .fetchToken()
        .then((token) => {
          current = token;
          return token;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}

function expiresSoon(token: OAuthToken): boolean {
  if (token.expiry === undefined) return false;
  return (Number(token.expiry) - tokenRefreshMarginSeconds) * 1000 <= Date.now();
}
