import type { Store, StoreSubscriptionStatus } from "../db/schema/index.ts";

/** Statuses of a store subscription that keep the organization on the store's plan. */
export const liveStoreStatuses: ReadonlySet<StoreSubscriptionStatus> = new Set([
  "trialing",
  "active",
  "past_due",
]);

/** A store subscription's state as the store signed it, normalized across Apple and Google. */
export interface StoreSubscriptionState {
  store: Store;
  /** Apple: the original transaction id; Google: the purchase token. */
  storeSubscriptionId: string;
  /** Apple's `appAccountToken`, Google's `obfuscatedExternalAccountId`; null when the app sent none. */
  accountToken: string | null;
  productId: string;
  /** Google's base plan; `''` for Apple. */
  basePlanId: string;
  status: StoreSubscriptionStatus;
  autoRenew: boolean;
  currentPeriodStart: Date | null;
  expiresAt: Date | null;
  trialEndsAt: Date | null;
  graceEndsAt: Date | null;
  environment: string;
  /**
   * The product the subscription renews into when that differs from `productId` (Apple's
   * `autoRenewProductId` after a DID_CHANGE_RENEWAL_PREF downgrade or crossgrade, Google's deferred line
   * item replacement): the plan switch takes effect at renewal. Undefined: the store did not say (kept).
   */
  pendingProductId?: string | null;
  /** When the store signed this state (Apple's `signedDate`, Google's event time): later wins. */
  stateAt: Date;
  data: Record<string, unknown>;
}

/** A store transaction (a purchase or renewal the store charged), recorded as a payment for reporting. */
export interface StoreTransaction {
  transactionId: string;
  amount: bigint;
  currency: string;
  /** The whole transaction was refunded or revoked by the store. */
  refunded: boolean;
}

/** A one-time product (a consumable) bought in a store. */
export interface StoreOneTimePurchase {
  store: Store;
  productId: string;
  accountToken: string | null;
  /**
   * Google's purchase record carries no price: `amount` and `currency` null record the pack's catalog
   * price instead.
   */
  transaction: Omit<StoreTransaction, "amount" | "currency"> & {
    amount: bigint | null;
    currency: string | null;
  };
  environment: string;
}

/** The notification that carried the state, applied once. */
export interface StoreNotice {
  store: Store;
  notificationId: string;
  notificationType: string;
}

export const storeProviderName = (store: Store) => store;
