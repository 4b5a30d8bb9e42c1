import { readFileSync } from "node:fs";
import { androidpublisher, type androidpublisher_v3 } from "@googleapis/androidpublisher";
import { gaxios, JWT } from "google-auth-library";
import type { GoogleConfig } from "../../config.ts";

const googleTokenUrl = "https://oauth2.googleapis.com/token";

export type SubscriptionPurchaseV2 = androidpublisher_v3.Schema$SubscriptionPurchaseV2;
export type ProductPurchase = androidpublisher_v3.Schema$ProductPurchase;
export type VoidedPurchase = androidpublisher_v3.Schema$VoidedPurchase;

/**
 * The Android Publisher API (`@googleapis/androidpublisher`) as the configured service account: the
 * subscription's truth (`purchases.subscriptionsv2.get`), acknowledgement, one-time products, and the
 * purchases Google voided (`purchases.voidedpurchases.list`).
 * `apiUrl` and `tokenUrl` point it at local fakes in tests.
 */
export function createGooglePlayApi(config: GoogleConfig) {
  const key = JSON.parse(readFileSync(config.serviceAccountKeyPath, "utf8")) as {
    client_email?: string;
    private_key?: string;
  };
  if (!key.client_email || !key.private_key) {
    throw new Error(
      `${config.serviceAccountKeyPath} is not a service account key (no client_email or private_key).`,
    );
  }
  const transporter = new gaxios.Gaxios();
  const tokenUrl = config.tokenUrl;
  if (tokenUrl) {
    transporter.interceptors.request.add({
      resolved: async (options) => {
        if (String(options.url) === googleTokenUrl) options.url = new URL(tokenUrl);
        return options;
      },
    });
  }
  const auth = new JWT({
    email: key.client_email,
    key: key.private_key,
    scopes: ["https://www.googleapis.com/auth/androidpublisher"],
    transporter,
  });
  const client = androidpublisher({
    version: "v3",
    auth,
    ...(config.apiUrl ? { rootUrl: `${config.apiUrl.replace(/\/$/, "")}/` } : {}),
    timeout: 15_000,
  });
  const packageName = config.packageName;
  return {
    packageName,
    async getSubscription(purchaseToken: string): Promise<SubscriptionPurchaseV2> {
      const response = await client.purchases.subscriptionsv2.get({
        packageName,
        token: purchaseToken,
      });
      return response.data;
    },
    async acknowledgeSubscription({
      productId,
      purchaseToken,
    }: {
      productId: string;
      purchaseToken: string;
    }): Promise<void> {
      await client.purchases.subscriptions.acknowledge({
        packageName,
        subscriptionId: productId,
        token: purchaseToken,
        requestBody: {},
      });
    },
    async getProduct({ productId, purchaseToken }: { productId: string; purchaseToken: string }) {
      const response = await client.purchases.products.get({
        packageName,
        productId,
        token: purchaseToken,
      });
      return response.data;
    },
    async acknowledgeProduct({
      productId,
      purchaseToken,
    }: {
      productId: string;
      purchaseToken: string;
    }): Promise<void> {
      await client.purchases.products.acknowledge({
        packageName,
        productId,
        token: purchaseToken,
        requestBody: {},
      });
    },
    async consumeProduct({
      productId,
      purchaseToken,
    }: {
      productId: string;
      purchaseToken: string;
    }): Promise<void> {
      await client.purchases.products.consume({ packageName, productId, token: purchaseToken });
    },
    /**
     * Every purchase voided since `since` (Google keeps 30 days), subscriptions included (`type` 1),
     * following `tokenPagination` to the last page.
     */
    async listVoidedPurchases({ since }: { since: Date }): Promise<VoidedPurchase[]> {
      const found: VoidedPurchase[] = [];
      let token: string | undefined;
      do {
        const response = await client.purchases.voidedpurchases.list({
          packageName,
          startTime: String(since.getTime()),
          type: 1,
          maxResults: 1000,
          ...(token ? { token } : {}),
        });
        found.push(...(response.data.voidedPurchases ?? []));
        token = response.data.tokenPagination?.nextPageToken ?? undefined;
      } while (token);
      return found;
    },
  };
}

export type GooglePlayApi = ReturnType<typeof createGooglePlayApi>;
