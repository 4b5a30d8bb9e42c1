import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { balanceTransactions, type balanceTransactionTypes } from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";
import { newId } from "../ids.ts";

export type BalanceTransactionType = (typeof balanceTransactionTypes)[number];
export type BalanceTransaction = typeof balanceTransactions.$inferSelect;

/**
 * The credit balance ("saldo a favor"): an append-only ledger; `available` is the sum of its
 * transactions. Positive amounts add credit, negative ones consume it. Callers hold the organization's
 * lock, so the sum they read is the sum they write against.
 */
export async function availableBalance({
  executor,
  organizationId,
}: {
  executor: Executor;
  organizationId: string;
}): Promise<bigint> {
  const [row] = await executor
    .select({ sum: sql<string>`coalesce(sum(${balanceTransactions.amount}), 0)::text` })
    .from(balanceTransactions)
    .where(eq(balanceTransactions.organizationId, organizationId));
  return BigInt(row?.sum ?? "0");
}

export async function appendBalanceTransaction({
  executor,
  organizationId,
  amount,
  currency,
  type,
  invoiceId,
  description,
  actor,
  now,
}: {
  executor: Executor;
  organizationId: string;
  amount: bigint;
  currency: string;
  type: BalanceTransactionType;
  invoiceId: string | null;
  description: string;
  actor: string | null;
  now: Date;
}): Promise<BalanceTransaction> {
  const [created] = await executor
    .insert(balanceTransactions)
    .values({
      id: newId("txn", now.getTime()),
      organizationId,
      amount,
      currency,
      type,
      invoiceId,
      description,
      actor,
      createdAt: now,
    })
    .returning();
  if (!created) throw new Error("balance transaction insert returned no row");
  await publishEvent({
    executor,
    type: "balance.changed",
    organizationId,
    data: {
      transactionId: created.id,
      type,
      amount,
      available: await availableBalance({ executor, organizationId }),
      currency,
      invoiceId,
    },
    now,
  });
  return created;
}

export async function listBalanceTransactions({
  executor,
  organizationId,
  limit,
  cursor,
}: {
  executor: Executor;
  organizationId: string;
  limit: number;
  cursor?: string | undefined;
}): Promise<BalanceTransaction[]> {
  return executor
    .select()
    .from(balanceTransactions)
    .where(
      and(
        eq(balanceTransactions.organizationId, organizationId),
        cursor === undefined ? undefined : lt(balanceTransactions.id, cursor),
      ),
    )
    .orderBy(desc(balanceTransactions.id))
    .limit(limit);
}
