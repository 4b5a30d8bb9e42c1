import type {
  JWSRenewalInfoDecodedPayload,
  JWSTransactionDecodedPayload,
} from "@apple/app-store-server-library";
import type { StoreSubscriptionStatus } from "../../db/schema/index.ts";
import { fromScaledPrice } from "../../money/index.ts";
import type {
  StoreOneTimePurchase,
  StoreSubscriptionState,
  StoreTransaction,
} from "../../stores/store-state.ts";

export type AppleInterpretation =
  | { kind: "subscription"; state: StoreSubscriptionState; transaction: StoreTransaction | null }
  | { kind: "one_time"; purchase: StoreOneTimePurchase }
  | { kind: "ignored"; reason: string };

/**
 * What an App Store notification means for the subscription (docs/app-stores.md "Apple"), pure: the
 * notification type and subtype with the signed transaction and renewal info give the status, the period,
 * trial and grace ends, auto-renewal and the transaction to record.
 */
export function interpretAppleNotification({
  notificationType,
  subtype,
  signedDate,
  transaction,
  renewalInfo,
}: {
  notificationType: string;
  subtype: string | undefined;
  signedDate: number;
  transaction: JWSTransactionDecodedPayload | null;
  renewalInfo: JWSRenewalInfoDecodedPayload | null;
}): AppleInterpretation {
  if (notificationType === "TEST") return { kind: "ignored", reason: "a TEST notification" };
  if (!transaction?.productId || !transaction.originalTransactionId) {
    return { kind: "ignored", reason: `${notificationType} carries no transaction` };
  }
  // REFUND: Apple refunded the purchase; REVOKE (Family Sharing withdrawn) revokes access only.
  const refunded = notificationType === "REFUND";
  const storeTransaction = toStoreTransaction(transaction, refunded);
  const environment = String(transaction.environment ?? "Production");
  if (transaction.type === "Consumable" || transaction.type === "Non-Consumable") {
    if (!storeTransaction) return { kind: "ignored", reason: "a purchase without a price" };
    return {
      kind: "one_time",
      purchase: {
        store: "app_store",
        productId: transaction.productId,
        accountToken: transaction.appAccountToken ?? null,
        transaction: storeTransaction,
        environment,
      },
    };
  }
  const expiresAt =
    transaction.expiresDate === undefined ? null : new Date(transaction.expiresDate);
  const stateAt = new Date(transaction.signedDate ?? signedDate);
  const freeTrial =
    transaction.offerType === 1 && String(transaction.offerDiscountType) === "FREE_TRIAL";
  const autoRenew =
    renewalInfo?.autoRenewStatus === undefined ? true : Number(renewalInfo.autoRenewStatus) === 1;
  const graceEndsAt =
    renewalInfo?.gracePeriodExpiresDate === undefined
      ? null
      : new Date(renewalInfo.gracePeriodExpiresDate);

  let status: StoreSubscriptionStatus;
  let grace: Date | null = null;
  switch (notificationType) {
    case "EXPIRED":
      status = "expired";
      break;
    case "REFUND":
    case "REVOKE":
      status = "revoked";
      break;
    case "DID_FAIL_TO_RENEW":
      // In a billing grace period the customer keeps access until it ends; without one, access ends now
      // while Apple keeps retrying (a later DID_RENEW with BILLING_RECOVERY restores it).
      status = "past_due";
      grace = subtype === "GRACE_PERIOD" ? graceEndsAt : (expiresAt ?? stateAt);
      break;
    case "GRACE_PERIOD_EXPIRED":
      status = "past_due";
      grace = graceEndsAt ?? stateAt;
      break;
    default:
      // SUBSCRIBED, DID_RENEW, OFFER_REDEEMED, DID_CHANGE_RENEWAL_PREF, DID_CHANGE_RENEWAL_STATUS,
      // PRICE_INCREASE, RENEWAL_EXTENDED…: the transaction says whether the period still runs.
      if (transaction.revocationDate !== undefined) status = "revoked";
      else if (expiresAt !== null && expiresAt.getTime() <= stateAt.getTime()) status = "expired";
      else status = freeTrial ? "trialing" : "active";
  }
  return {
    kind: "subscription",
    state: {
      store: "app_store",
      storeSubscriptionId: transaction.originalTransactionId,
      accountToken: transaction.appAccountToken ?? renewalInfo?.appAccountToken ?? null,
      productId: transaction.productId,
      basePlanId: "",
      status,
      autoRenew: status === "expired" || status === "revoked" ? false : autoRenew,
      currentPeriodStart:
        transaction.purchaseDate === undefined ? null : new Date(transaction.purchaseDate),
      expiresAt,
      trialEndsAt: status === "trialing" ? expiresAt : null,
      graceEndsAt: grace,
      environment,
      stateAt,
      pendingProductId:
        renewalInfo === undefined || renewalInfo === null
          ? undefined
          : renewalInfo.autoRenewProductId &&
              renewalInfo.autoRenewProductId !== transaction.productId
            ? renewalInfo.autoRenewProductId
            : null,
      data: {
        notificationType,
        subtype: subtype ?? null,
        transactionId: transaction.transactionId ?? null,
        autoRenewProductId: renewalInfo?.autoRenewProductId ?? null,
        priceIncreaseStatus: renewalInfo?.priceIncreaseStatus ?? null,
        isInBillingRetryPeriod: renewalInfo?.isInBillingRetryPeriod ?? null,
        expirationIntent: renewalInfo?.expirationIntent ?? null,
        revocationReason: transaction.revocationReason ?? null,
      },
    },
    transaction: storeTransaction,
  };
}

function toStoreTransaction(
  transaction: JWSTransactionDecodedPayload,
  refunded: boolean,
): StoreTransaction | null {
  if (
    !transaction.transactionId ||
    transaction.price === undefined ||
    transaction.price <= 0 ||
    !Number.isSafeInteger(transaction.price) ||
    !transaction.currency
  ) {
    return null;
  }
  return {
    transactionId: transaction.transactionId,
    amount: fromScaledPrice({
      value: BigInt(transaction.price),
      currency: transaction.currency.toUpperCase(),
      scale: 1000n,
    }),
    currency: transaction.currency.toUpperCase(),
    refunded,
  };
}
