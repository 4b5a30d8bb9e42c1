import type { StoreSubscriptionStatus } from "../../db/schema/index.ts";
import { fromScaledPrice } from "../../money/index.ts";
import type { StoreSubscriptionState, StoreTransaction } from "../../stores/store-state.ts";
import type { SubscriptionPurchaseV2 } from "./google-play-api.ts";

/** Google's subscription notification types by number (Real-time developer notifications). */
export const googleSubscriptionNotificationTypes: Record<number, string> = {
  1: "SUBSCRIPTION_RECOVERED",
  2: "SUBSCRIPTION_RENEWED",
  3: "SUBSCRIPTION_CANCELED",
  4: "SUBSCRIPTION_PURCHASED",
  5: "SUBSCRIPTION_ON_HOLD",
  6: "SUBSCRIPTION_IN_GRACE_PERIOD",
  7: "SUBSCRIPTION_RESTARTED",
  8: "SUBSCRIPTION_PRICE_CHANGE_CONFIRMED",
  9: "SUBSCRIPTION_DEFERRED",
  10: "SUBSCRIPTION_PAUSED",
  11: "SUBSCRIPTION_PAUSE_SCHEDULE_CHANGED",
  12: "SUBSCRIPTION_REVOKED",
  13: "SUBSCRIPTION_EXPIRED",
  19: "SUBSCRIPTION_PRICE_CHANGE_UPDATED",
  20: "SUBSCRIPTION_PENDING_PURCHASE_CANCELED",
};

export type GoogleInterpretation =
  | { kind: "subscription"; state: StoreSubscriptionState; transaction: StoreTransaction | null }
  | { kind: "ignored"; reason: string };

/**
 * What `purchases.subscriptionsv2.get` says about a subscription (docs/app-stores.md "Google Play"), pure:
 * `subscriptionState` and the first line item give the status, expiry, base plan, auto-renewal, a free
 * trial, and the latest order with its recurring price (Google's units + nanos) to record as a payment.
 */
export function interpretGoogleSubscription({
  purchase,
  purchaseToken,
  revoked,
  now,
}: {
  purchase: SubscriptionPurchaseV2;
  purchaseToken: string;
  /** A voided purchase or a SUBSCRIPTION_REVOKED notification: access ends whatever the state says. */
  revoked: boolean;
  now: Date;
}): GoogleInterpretation {
  const item = purchase.lineItems?.[0];
  if (!item?.productId) return { kind: "ignored", reason: "the purchase has no line item" };
  const state = purchase.subscriptionState ?? "SUBSCRIPTION_STATE_UNSPECIFIED";
  const expiresAt = item.expiryTime ? new Date(item.expiryTime) : null;
  const running = expiresAt !== null && expiresAt.getTime() > now.getTime();
  const freeTrial = item.offerPhase?.freeTrial !== undefined && item.offerPhase?.freeTrial !== null;
  let status: StoreSubscriptionStatus;
  let graceEndsAt: Date | null = null;
  switch (state) {
    case "SUBSCRIPTION_STATE_ACTIVE":
      status = freeTrial ? "trialing" : "active";
      break;
    case "SUBSCRIPTION_STATE_IN_GRACE_PERIOD":
      // Google extends the expiry over the grace period: access lasts until it.
      status = "past_due";
      graceEndsAt = expiresAt;
      break;
    case "SUBSCRIPTION_STATE_ON_HOLD":
      // Account hold: no access while Google retries the payment.
      status = "past_due";
      graceEndsAt = now;
      break;
    case "SUBSCRIPTION_STATE_PAUSED":
      status = "paused";
      break;
    case "SUBSCRIPTION_STATE_CANCELED":
      // Canceled by the user: access lasts until the period ends.
      status = running ? (freeTrial ? "trialing" : "active") : "expired";
      break;
    case "SUBSCRIPTION_STATE_EXPIRED":
      status = "expired";
      break;
    default:
      return { kind: "ignored", reason: `subscription state ${state}` };
  }
  if (revoked) status = "revoked";
  const live = status === "active" || status === "trialing" || status === "past_due";
  const price = item.autoRenewingPlan?.recurringPrice;
  const orderId = item.latestSuccessfulOrderId ?? null;
  let transaction: StoreTransaction | null = null;
  if (orderId && price?.currencyCode && !freeTrial) {
    const currency = price.currencyCode.toUpperCase();
    const amount = fromScaledPrice({
      value: BigInt(price.units ?? "0") * 1_000_000_000n + BigInt(price.nanos ?? 0),
      currency,
      scale: 1_000_000_000n,
    });
    if (amount > 0n) transaction = { transactionId: orderId, amount, currency, refunded: revoked };
  }
  return {
    kind: "subscription",
    state: {
      store: "google_play",
      storeSubscriptionId: purchaseToken,
      accountToken: purchase.externalAccountIdentifiers?.obfuscatedExternalAccountId ?? null,
      productId: item.productId,
      basePlanId: item.offerDetails?.basePlanId ?? "",
      status,
      autoRenew: live && item.autoRenewingPlan?.autoRenewEnabled === true,
      currentPeriodStart: purchase.startTime ? new Date(purchase.startTime) : null,
      expiresAt,
      trialEndsAt: status === "trialing" ? expiresAt : null,
      graceEndsAt,
      environment: purchase.testPurchase ? "Test" : "Production",
      stateAt: now,
      pendingProductId: item.deferredItemReplacement?.productId ?? null,
      data: {
        subscriptionState: state,
        latestOrderId: orderId,
        acknowledgementState: purchase.acknowledgementState ?? null,
        offerId: item.offerDetails?.offerId ?? null,
        linkedPurchaseToken: purchase.linkedPurchaseToken ?? null,
      },
    },
    transaction,
  };
}
