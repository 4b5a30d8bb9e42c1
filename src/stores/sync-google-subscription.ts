import type { BillingServices } from "../billing/billing-operation.ts";
import { conflict, validationError } from "../errors.ts";
import type { GooglePlayApi } from "../providers/google-play/google-play-api.ts";
import { interpretGoogleSubscription } from "../providers/google-play/interpret-google-subscription.ts";
import { applyStoreSubscription, type StoreApplyResult } from "./apply-store-subscription.ts";
import type { StoreNotice } from "./store-state.ts";

/**
 * Fetches a Google Play subscription's truth (`purchases.subscriptionsv2.get`), acknowledges a purchase not
 * yet acknowledged (Google refunds those after three days), and applies it. `accountToken` stands in for a
 * purchase that names no `obfuscatedExternalAccountId` when an organization registers it itself.
 */
export async function syncGoogleSubscription({
  services,
  api,
  purchaseToken,
  notice,
  revoked = false,
  accountToken,
  expected,
  systemNow,
}: {
  services: BillingServices;
  api: GooglePlayApi;
  purchaseToken: string;
  notice: StoreNotice | null;
  revoked?: boolean;
  accountToken?: string;
  /** A registration by the app: the purchase must be for this product (and, if it names one, this token). */
  expected?: { productId: string; accountToken: string };
  systemNow: Date;
}): Promise<StoreApplyResult & { ignored?: string; purchaseAccountToken: string | null }> {
  const purchase = await api.getSubscription(purchaseToken);
  const meaning = interpretGoogleSubscription({ purchase, purchaseToken, revoked, now: systemNow });
  if (meaning.kind === "ignored") {
    return {
      outcome: "processed",
      ignored: meaning.reason,
      storeSubscriptionId: null,
      organizationId: null,
      paymentId: null,
      purchaseAccountToken: null,
    };
  }
  const purchaseAccountToken = meaning.state.accountToken;
  if (expected && meaning.state.productId !== expected.productId) {
    throw validationError(
      `The purchase token is for product ${meaning.state.productId}, not ${expected.productId}.`,
    );
  }
  if (expected && purchaseAccountToken !== null && purchaseAccountToken !== expected.accountToken) {
    throw conflict(
      "The purchase names another organization (its obfuscatedExternalAccountId is not this organization's store token).",
    );
  }
  const state =
    purchaseAccountToken === null && accountToken
      ? { ...meaning.state, accountToken }
      : meaning.state;
  const result = await applyStoreSubscription({
    services,
    state,
    transaction: meaning.transaction,
    notice,
    systemNow,
  });
  if (
    purchase.acknowledgementState === "ACKNOWLEDGEMENT_STATE_PENDING" &&
    result.organizationId !== null &&
    (state.status === "active" || state.status === "trialing")
  ) {
    await api.acknowledgeSubscription({ productId: state.productId, purchaseToken });
  }
  return { ...result, purchaseAccountToken };
}
