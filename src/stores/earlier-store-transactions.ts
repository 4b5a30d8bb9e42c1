import { eq } from "drizzle-orm";
import type { Transaction } from "../db/database.ts";
import { storeSubscriptions } from "../db/schema/index.ts";
import { recordStoreTransaction } from "./apply-store-subscription.ts";
import type { StoreTransaction } from "./store-state.ts";

type StoreSubscriptionRow = typeof storeSubscriptions.$inferSelect;

interface KeptTransaction {
  transactionId: string;
  amount: string;
  currency: string;
  refunded: boolean;
}

const keptOf = (row: StoreSubscriptionRow): KeptTransaction[] =>
  Array.isArray(row.data.earlierTransactions)
    ? (row.data.earlierTransactions as KeptTransaction[])
    : [];

/**
 * A transaction of a subscription no organization is tied to yet: kept with the subscription (its
 * `data.earlierTransactions`, once per transaction id, a refund marking it) until it is linked.
 */
export async function keepEarlierTransaction({
  tx,
  row,
  transaction,
}: {
  tx: Transaction;
  row: StoreSubscriptionRow;
  transaction: StoreTransaction;
}): Promise<void> {
  const kept = keptOf(row).filter((earlier) => earlier.transactionId !== transaction.transactionId);
  const previous = keptOf(row).find(
    (earlier) => earlier.transactionId === transaction.transactionId,
  );
  kept.push({
    transactionId: transaction.transactionId,
    amount: transaction.amount.toString(),
    currency: transaction.currency,
    refunded: transaction.refunded || previous?.refunded === true,
  });
  await tx
    .update(storeSubscriptions)
    .set({ data: { ...row.data, earlierTransactions: kept } })
    .where(eq(storeSubscriptions.id, row.id));
}

/**
 * Once the subscription is tied to an organization (its account token became known, root linked it), the
 * transactions kept before are recorded as its payments too (in the order the store charged them), not
 * only the later ones.
 */
export async function recordEarlierTransactions({
  tx,
  row,
  now,
}: {
  tx: Transaction;
  row: StoreSubscriptionRow;
  now: Date;
}): Promise<string[]> {
  const kept = keptOf(row);
  if (!row.organizationId || kept.length === 0) return [];
  const ids: string[] = [];
  for (const earlier of kept) {
    const { id } = await recordStoreTransaction({
      tx,
      organizationId: row.organizationId,
      store: row.store,
      transaction: { ...earlier, amount: BigInt(earlier.amount) },
      now,
    });
    ids.push(id);
  }
  const { earlierTransactions: _recorded, ...data } = row.data;
  await tx.update(storeSubscriptions).set({ data }).where(eq(storeSubscriptions.id, row.id));
  return ids;
}
