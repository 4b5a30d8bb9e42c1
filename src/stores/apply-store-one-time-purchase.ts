import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import { packs, storeNotifications } from "../db/schema/index.ts";
import { applyGrantJob } from "../entitlements/purchase-pack.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import { queueForScope } from "../jobs/scheduler.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import { addDays } from "../time/index.ts";
import { recordStoreTransaction, type StoreApplyResult } from "./apply-store-subscription.ts";
import { organizationOfAccountToken } from "./store-account-tokens.ts";
import { findStoreProduct } from "./store-products.ts";
import type { StoreNotice, StoreOneTimePurchase } from "./store-state.ts";

/**
 * A consumable bought in a store: a product mapped to a pack grants the pack's units once per store
 * transaction (under the organization's lock, only the delivery that records the transaction's payment
 * grants; the grant's source is `<store>:<transactionId>`), and the transaction is recorded as a payment.
 * A purchase that names no known organization or product is left for operators.
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
    const { now, organization } = await lockOrganization({ tx, organizationId, systemNow });
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
    const { id: paymentId, created } = await recordStoreTransaction({
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
      await enqueueJob(
        tx,
        applyGrantJob,
        {
          organizationId,
          feature: pack.featureKey,
          quantity: pack.quantity.toString(),
          source: `${purchase.store}:${purchase.transaction.transactionId}`,
          expiresAt:
            pack.expiresAfterDays === null
              ? null
              : addDays({ date: now, days: pack.expiresAfterDays }).toISOString(),
          grantedAt: now.toISOString(),
          packId: pack.id,
        },
        { queueName: queueForScope({ testClockId: organization.testClockId }) },
      );
      await recordAudit({
        executor: tx,
        entry: {
          action: "pack.purchased",
          actor: `system:${purchase.store}`,
          organizationId,
          after: { packId: pack.id, paymentId, transactionId: purchase.transaction.transactionId },
          metadata: { provider: purchase.store },
        },
        now,
      });
    }
    return { outcome: "processed", storeSubscriptionId: null, organizationId, paymentId };
  });
}
