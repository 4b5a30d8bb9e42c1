import type { Database } from "../db/database.ts";
import { insertNotification } from "../notifications/payment-notifications.ts";

/**
 * Tells operators about a store purchase Abono could not apply: no organization has its account token, or
 * its product is in no plan or pack. It is kept (`GET /v1/root/store-subscriptions?unlinked=true`), never
 * applied to a guess.
 */
export async function reportUnlinkedPurchase({
  db,
  store,
  outcome,
  storeSubscriptionId,
  productId,
  dedupeKey,
}: {
  db: Database;
  store: string;
  outcome: "unlinked" | "unknown_product";
  storeSubscriptionId: string | null;
  productId: string | null;
  dedupeKey: string;
}): Promise<void> {
  const what =
    outcome === "unlinked"
      ? "names no organization Abono knows (no or unknown account token)"
      : "is for a product no plan or pack lists";
  await insertNotification({
    db,
    audience: "admin",
    organizationId: null,
    userId: null,
    kind: "store_purchase_unapplied",
    dedupeKey,
    locale: "en",
    message: {
      title: `A ${store === "app_store" ? "App Store" : "Google Play"} purchase could not be applied`,
      body: `A purchase of ${productId ?? "an unknown product"} ${what}. Link it with POST /v1/root/store-subscriptions/${storeSubscriptionId ?? "…"}/link or add the product to the catalog.`,
    },
    data: { store, outcome, storeSubscriptionId, productId },
  });
}
