import { and, eq } from "drizzle-orm";
import type { BillingServices } from "../billing/billing-operation.ts";
import { payments, type Store, storeSubscriptions } from "../db/schema/index.ts";
import { voidStoreOneTimePurchase } from "./apply-store-one-time-purchase.ts";
import { applyStoreSubscription, type StoreApplyResult } from "./apply-store-subscription.ts";
import type { StoreNotice } from "./store-state.ts";

/**
 * A voided purchase (Google's voided purchases notification or `purchases.voidedpurchases.list`): a
 * subscription is revoked (the organization falls back to the free plan if the store entitled it) and the
 * voided order's payment is marked refunded; a one-time product's payment is marked refunded and its pack
 * taken back (`voidStoreOneTimePurchase`). Applied once: a subscription already revoked with its payment
 * refunded, or a one-time purchase already refunded, is a `duplicate`. A purchase Abono never saw is
 * `unlinked` and changes nothing.
 */
export async function revokeStorePurchase({
  services,
  store,
  storeSubscriptionId,
  orderId,
  productType,
  notice,
  systemNow,
}: {
  services: BillingServices;
  store: Store;
  storeSubscriptionId: string;
  orderId: string | null;
  /** Google's `productType`: 1 a subscription, 2 a one-time product; undefined: whichever it is. */
  productType?: number;
  notice: StoreNotice | null;
  systemNow: Date;
}): Promise<StoreApplyResult> {
  const [row] =
    productType === 2
      ? []
      : await services.db
          .select()
          .from(storeSubscriptions)
          .where(
            and(
              eq(storeSubscriptions.store, store),
              eq(storeSubscriptions.storeSubscriptionId, storeSubscriptionId),
            ),
          );
  if (!row) {
    if (productType === 1) {
      return {
        outcome: "unlinked",
        storeSubscriptionId: null,
        organizationId: null,
        paymentId: null,
      };
    }
    return voidStoreOneTimePurchase({
      db: services.db,
      store,
      transactionIds: orderId ? [orderId, storeSubscriptionId] : [storeSubscriptionId],
      notice,
      systemNow,
    });
  }
  const [payment] = orderId
    ? await services.db
        .select()
        .from(payments)
        .where(and(eq(payments.provider, store), eq(payments.providerPaymentId, orderId)))
    : [];
  if (row.status === "revoked" && (!payment || payment.status === "refunded")) {
    return {
      outcome: "duplicate",
      storeSubscriptionId: row.id,
      organizationId: row.organizationId,
      paymentId: payment?.id ?? null,
    };
  }
  return applyStoreSubscription({
    services,
    state: {
      store,
      storeSubscriptionId,
      accountToken: row.accountToken,
      productId: row.productId,
      basePlanId: row.basePlanId,
      status: "revoked",
      autoRenew: false,
      currentPeriodStart: row.currentPeriodStart,
      expiresAt: row.expiresAt,
      trialEndsAt: null,
      graceEndsAt: null,
      environment: row.environment,
      stateAt: systemNow > row.storeStateAt ? systemNow : row.storeStateAt,
      data: { ...row.data, voidedOrderId: orderId },
    },
    transaction:
      payment && orderId
        ? {
            transactionId: orderId,
            amount: payment.amount,
            currency: payment.currency,
            refunded: true,
          }
        : null,
    notice,
    systemNow,
  });
}
