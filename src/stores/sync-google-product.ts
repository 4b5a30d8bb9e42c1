import type { Database } from "../db/database.ts";
import { conflict, validationError } from "../errors.ts";
import type { GooglePlayApi } from "../providers/google-play/google-play-api.ts";
import { applyStoreOneTimePurchase } from "./apply-store-one-time-purchase.ts";
import type { StoreApplyResult } from "./apply-store-subscription.ts";
import type { StoreNotice } from "./store-state.ts";

/**
 * A Google Play one-time product (a consumable mapped to a pack): its truth is fetched with
 * `purchases.products.get`, a purchased one (`purchaseState` 0) is applied once per order (the pack
 * granted, the payment recorded at the pack's catalog price: Google's purchase record has none), then
 * consumed so the user can buy it again (consuming acknowledges it). A pending or canceled purchase is
 * ignored. `accountToken` stands in for a purchase naming no `obfuscatedExternalAccountId` when the
 * organization registers it itself.
 */
export async function syncGoogleProduct({
  db,
  api,
  productId,
  purchaseToken,
  notice,
  accountToken,
  expected,
  systemNow,
}: {
  db: Database;
  api: GooglePlayApi;
  productId: string;
  purchaseToken: string;
  notice: StoreNotice | null;
  accountToken?: string;
  expected?: { accountToken: string };
  systemNow: Date;
}): Promise<StoreApplyResult & { ignored?: string }> {
  const purchase = await api.getProduct({ productId, purchaseToken });
  const none = { storeSubscriptionId: null, organizationId: null, paymentId: null };
  if (purchase.purchaseState !== 0) {
    const state = purchase.purchaseState === 2 ? "pending" : "canceled";
    return { outcome: "processed", ignored: `a ${state} one-time purchase`, ...none };
  }
  const named = purchase.obfuscatedExternalAccountId ?? null;
  if (expected && named !== null && named !== expected.accountToken) {
    throw conflict(
      "The purchase names another organization (its obfuscatedExternalAccountId is not this organization's store token).",
    );
  }
  if (purchase.quantity !== undefined && purchase.quantity !== null && purchase.quantity > 1) {
    throw validationError("Purchases of several units of a product at once are not supported.");
  }
  const result = await applyStoreOneTimePurchase({
    db,
    purchase: {
      store: "google_play",
      productId,
      accountToken: named ?? accountToken ?? null,
      transaction: {
        transactionId: purchase.orderId ?? purchaseToken,
        amount: null,
        currency: null,
        refunded: false,
      },
      environment: purchase.purchaseType === 0 ? "Test" : "Production",
    },
    notice,
    systemNow,
  });
  const applied = result.outcome === "processed" || result.outcome === "duplicate";
  if (applied && result.organizationId !== null && purchase.consumptionState === 0) {
    try {
      await api.consumeProduct({ productId, purchaseToken });
    } catch (error) {
      // A parallel delivery of the same purchase consumed it first.
      const again = await api.getProduct({ productId, purchaseToken });
      if (again.consumptionState !== 1) throw error;
    }
  }
  return result;
}
