import { readFileSync } from "node:fs";
import {
  AppStoreServerAPIClient,
  Environment,
  type JWSRenewalInfoDecodedPayload,
  type JWSTransactionDecodedPayload,
} from "@apple/app-store-server-library";
import type { AppleConfig } from "../../config.ts";
import { createAppleSignedDataVerifier } from "./verify-apple-notification.ts";

/** The App Store Server API client of Apple's library, at another origin when configured (a local fake). */
class ConfigurableAppStoreClient extends AppStoreServerAPIClient {
  constructor(
    options: { signingKey: string; keyId: string; issuerId: string; bundleId: string },
    environment: Environment,
    apiUrl: string | undefined,
  ) {
    super(options.signingKey, options.keyId, options.issuerId, options.bundleId, environment);
    // The library keeps its origin in a private field and offers no option for it.
    if (apiUrl) Reflect.set(this, "urlBase", apiUrl.replace(/\/$/, ""));
  }
}

export interface AppleSubscriptionStatus {
  /** Apple's status: 1 active, 2 expired, 3 billing retry, 4 billing grace period, 5 revoked. */
  status: number;
  transaction: JWSTransactionDecodedPayload;
  renewalInfo: JWSRenewalInfoDecodedPayload | null;
}

/**
 * `getAllSubscriptionStatuses` for a subscription's original transaction id, with each transaction and
 * renewal info verified like a notification's (null when no App Store Server API key is configured).
 */
export function createAppStoreApi(config: AppleConfig) {
  const api = config.api;
  if (!api) return null;
  const client = new ConfigurableAppStoreClient(
    {
      signingKey: readFileSync(api.privateKeyPath, "utf8"),
      keyId: api.keyId,
      issuerId: api.issuerId,
      bundleId: config.bundleId,
    },
    config.environment === "Production" ? Environment.PRODUCTION : Environment.SANDBOX,
    api.apiUrl,
  );
  const verifier = createAppleSignedDataVerifier(config);
  return {
    async subscriptionStatuses(originalTransactionId: string): Promise<AppleSubscriptionStatus[]> {
      const response = await client.getAllSubscriptionStatuses(originalTransactionId);
      const statuses: AppleSubscriptionStatus[] = [];
      for (const group of response.data ?? []) {
        for (const item of group.lastTransactions ?? []) {
          if (item.originalTransactionId !== originalTransactionId || !item.signedTransactionInfo) {
            continue;
          }
          statuses.push({
            status: Number(item.status ?? 0),
            transaction: await verifier.verifyAndDecodeTransaction(item.signedTransactionInfo),
            renewalInfo: item.signedRenewalInfo
              ? await verifier.verifyAndDecodeRenewalInfo(item.signedRenewalInfo)
              : null,
          });
        }
      }
      return statuses;
    },
  };
}

export type AppStoreApi = NonNullable<ReturnType<typeof createAppStoreApi>>;
