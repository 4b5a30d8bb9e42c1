import { and, eq, inArray } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import { packs, payments, type Store, storeNotifications } from "../db/schema/index.ts";
import { insertPackGrant } from "../entitlements/purchase-pack.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import { addDays } from "../time/index.ts";
import { recordStoreTransaction, type StoreApplyResult } from "./apply-store-subscription.ts";
import { organizationOfAccountToken } from "./store-account-tokens.ts";
import { findStoreProduct } from "./store-products.ts";
import type { StoreNotice, StoreOneTimePurchase } from "./store-state.ts";
import { takeBackStorePack } from "./take-back-store-pack.ts";

/**
 * A consumable bought in a store: a product mapped to a pack grants the pack's units once per store
 * transaction (under the organization's lock, in the transaction that records the transaction's payment:
 * only the delivery that records it grants; the grant's source is `<store>:<transactionId>`), and the
 * transaction is recorded as a payment. A refunded transaction (Apple's REFUND) marks the payment refunded
 * and takes the pack back (`takeBackStorePack`), once. A purchase that names no known organization or
 * product is left for operators.
 */
export async function applyStoreOneTimePurchase({
  db,
  purchase,
  notice,
  systemNow,
}: {
  db: Database;
  purchase: StoreOneTimePurchase;
  notice: StoreNotice | null;
  systemNow: Date;
}): Promise<StoreApplyResult> {
  const organizationId = purchase.accountToken
    ? await organizationOfAccountToken({ executor: db, token: purchase.accountToken })
    : null;
  const product = await findStoreProduct({
    executor: db,
    store: purchase.store,
    productId: purchase.productId,
    basePlanId: "",
  });
  const none = { storeSubscriptionId: null, organizationId, paymentId: null };
  if (!organizationId) return { outcome: "unlinked", ...none };
  if (product?.kind !== "pack") return { outcome: "unknown_product", ...none };
  return db.transaction(async (tx) => {
    const { now } = await lockOrganization({ tx, organizationId, systemNow });
    if (notice) {
      const [claimed] = await tx
        .insert(storeNotifications)
        .values({ ...notice, outcome: "processed", receivedAt: systemNow })
        .onConflictDoNothing()
        .returning();
      if (!claimed) return { outcome: "duplicate", ...none };
    }
    const [pack] = await tx.select().from(packs).where(eq(packs.id, product.targetId));
    if (!pack) return { outcome: "unknown_product", ...none };
    const { transaction } = purchase;
    const {
      id: paymentId,
      created,
      refundedNow,
    } = await recordStoreTransaction({
      tx,
      organizationId,
      store: purchase.store,
      transaction: {
        ...transaction,
        amount: transaction.amount ?? pack.unitAmount,
        currency: transaction.currency ?? pack.currency,
      },
      now,
    });
    if (created && !transaction.refunded) {
      await insertPackGrant({
        executor: tx,
        grant: {
          organizationId,
          feature: pack.featureKey,
          quantity: pack.quantity,
          source: `${purchase.store}:${transaction.transactionId}`,
          expiresAt:
            pack.expiresAfterDays === null
              ? null
              : addDays({ date: now, days: pack.expiresAfterDays }),
          grantedAt: now,
          packId: pack.id,
        },
      });
      await recordAudit({
        executor: tx,
        entry: {
          action: "pack.purchased",
          actor: `system:${purchase.store}`,
          organizationId,
          after: { packId: pack.id, paymentId, transactionId: transaction.transactionId },
          metadata: { provider: purchase.store },
        },
        now,
      });
    }
    if (refundedNow) {
      await takeBackStorePack({
        tx,
        organizationId,
        store: purchase.store,
        transactionId: transaction.transactionId,
        paymentId,
        reason: "refunded",
        now,
      });
    }
    return { outcome: "processed", storeSubscriptionId: null, organizationId, paymentId };
  });
}

/**
 * A one-time purchase the store voided (Google Play's voided purchases: refunded, charged back or
 * canceled): its payment, found by the store's transaction id (Google: the order id, or the purchase
 * token for a purchase without one), is marked refunded and the pack it granted taken back, once
 * (a repeated notification, or the same void found again by reconciliation, changes nothing: `duplicate`).
 * A purchase Abono never recorded is `unlinked`: there is nothing to take back.
 */
export async function voidStoreOneTimePurchase({
  db,
  store,
  transactionIds,
  notice,
  systemNow,
}: {
  db: Database;
  store: Store;
  transactionIds: readonly string[];
  notice: StoreNotice | null;
  systemNow: Date;
}): Promise<StoreApplyResult> {
  const none = { storeSubscriptionId: null, paymentId: null };
  const ids = transactionIds.filter((id) => id !== "");
  const [found] =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(payments)
          .where(and(eq(payments.provider, store), inArray(payments.providerPaymentId, ids)))
          .limit(1);
  if (!found?.providerPaymentId) return { outcome: "unlinked", organizationId: null, ...none };
  const organizationId = found.organizationId;
  const transactionId = found.providerPaymentId;
  return db.transaction(async (tx) => {
    const { now } = await lockOrganization({ tx, organizationId, systemNow });
    if (notice) {
      const [claimed] = await tx
        .insert(storeNotifications)
        .values({ ...notice, outcome: "processed", receivedAt: systemNow })
        .onConflictDoNothing()
        .returning();
      if (!claimed) return { outcome: "duplicate", organizationId, ...none };
    }
    const { id: paymentId, refundedNow } = await recordStoreTransaction({
      tx,
      organizationId,
      store,
      transaction: {
        transactionId,
        amount: found.amount,
        currency: found.currency,
        refunded: true,
      },
      now,
    });
    if (!refundedNow) return { outcome: "duplicate", organizationId, ...none };
    await takeBackStorePack({
      tx,
      organizationId,
      store,
      transactionId,
      paymentId,
      reason: "voided",
      now,
    });
    return { outcome: "processed", storeSubscriptionId: null, organizationId, paymentId };
  });
}
