import { and, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Transaction } from "../db/database.ts";
import { entitlementGrants, type Store } from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";

/**
 * Takes back what a refunded or voided store purchase of a pack granted: the grant whose source is
 * `<store>:<transactionId>` keeps no units (`remaining` 0; units already used stay used), with the
 * audit entry `pack.revoked` and the event `pack.revoked` (which emails the owner). Run in the transaction
 * that marks the purchase's payment refunded, under the organization's lock, only by the call that marked
 * it: a repeated or parallel notification takes nothing twice. A purchase whose grant was never made
 * (refunded before it was applied) takes nothing; the refunded payment keeps it from being granted later.
 */
export async function takeBackStorePack({
  tx,
  organizationId,
  store,
  transactionId,
  paymentId,
  reason,
  now,
}: {
  tx: Transaction;
  organizationId: string;
  store: Store;
  transactionId: string;
  paymentId: string;
  /** `refunded` (the store refunded it), `voided` (Google voided it: refund, chargeback, cancellation). */
  reason: "refunded" | "voided";
  now: Date;
}): Promise<{ grantId: string; removed: bigint } | null> {
  const [grant] = await tx
    .select()
    .from(entitlementGrants)
    .where(
      and(
        eq(entitlementGrants.organizationId, organizationId),
        eq(entitlementGrants.source, `${store}:${transactionId}`),
      ),
    )
    .for("update");
  if (!grant) return null;
  const removed = grant.remaining;
  await tx
    .update(entitlementGrants)
    .set({ remaining: 0n })
    .where(eq(entitlementGrants.id, grant.id));
  await recordAudit({
    executor: tx,
    entry: {
      action: "pack.revoked",
      actor: `system:${store}`,
      organizationId,
      before: { grantId: grant.id, remaining: removed },
      after: { grantId: grant.id, remaining: 0n },
      metadata: { provider: store, paymentId, transactionId, reason },
    },
    now,
  });
  await publishEvent({
    executor: tx,
    type: "pack.revoked",
    organizationId,
    data: {
      grantId: grant.id,
      feature: grant.featureKey,
      quantity: grant.quantity,
      removed,
      paymentId,
      provider: store,
      reason,
    },
    now,
  });
  return { grantId: grant.id, removed };
}
