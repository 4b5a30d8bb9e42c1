import { and, eq } from "drizzle-orm";
import type { BillingServices } from "../billing/billing-operation.ts";
import { payments, type Store, storeSubscriptions } from "../db/schema/index.ts";
import { applyStoreSubscription, type StoreApplyResult } from "./apply-store-subscription.ts";
import type { StoreNotice } from "./store-state.ts";

/**
 * A voided purchase (Google's voided purchases notification): the subscription is revoked (the
 * organization falls back to the free plan if the store entitled it) and the voided order's payment is
 * marked refunded. A purchase token Abono never saw is ignored.
 */
export async function revokeStorePurchase({
  services,
  store,
  storeSubscriptionId,
  orderId,
  notice,
  systemNow,
}: {
  services: BillingServices;
  store: Store;
  storeSubscriptionId: string;
  orderId: string | null;
  notice: StoreNotice;
  systemNow: Date;
}): Promise<StoreApplyResult> {
  const [row] = await services.db
    .select()
    .from(storeSubscriptions)
    .where(
      and(
        eq(storeSubscriptions.store, store),
        eq(storeSubscriptions.storeSubscriptionId, storeSubscriptionId),
      ),
    );
  if (!row) {
    return {
      outcome: "unlinked",
      storeSubscriptionId: null,
      organizationId: null,
      paymentId: null,
    };
  }
  const [payment] = orderId
    ? await services.db
        .select()
        .from(payments)
        .where(and(eq(payments.provider, store), eq(payments.providerPaymentId, orderId)))
    : [];
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
