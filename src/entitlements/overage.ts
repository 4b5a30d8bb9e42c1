import { and, eq, gt, sql } from "drizzle-orm";
import { anyOf } from "../db/any-of.ts";
import type { Executor } from "../db/database.ts";
import { usageCounters } from "../db/schema/index.ts";
import type { BillingMessages } from "../i18n/billing-messages.ts";
import type { DraftLine } from "../invoicing/compute-invoice-totals.ts";

export interface UnbilledOverage {
  organizationId: string;
  featureKey: string;
  periodStart: Date;
  quantity: bigint;
  billedUpTo: bigint;
}

/** Metered usage beyond every allowance that no invoice has carried yet, for some organizations. */
export async function findUnbilledOverage({
  executor,
  organizationIds,
}: {
  executor: Executor;
  organizationIds: readonly string[];
}): Promise<UnbilledOverage[]> {
  if (organizationIds.length === 0) return [];
  const rows = await executor
    .select()
    .from(usageCounters)
    .where(
      and(
        anyOf(usageCounters.organizationId, [...organizationIds]),
        gt(usageCounters.overage, usageCounters.overageBilled),
      ),
    );
  return rows.map((row) => ({
    organizationId: row.organizationId,
    featureKey: row.featureKey,
    periodStart: row.periodStart,
    quantity: row.overage - row.overageBilled,
    billedUpTo: row.overage,
  }));
}

/** A plan version's overage prices, by metered feature key. */
export type OveragePrices = Readonly<Record<string, { unitAmount: bigint; currency: string }>>;

/** Overage in arrears (docs/billing.md "Lifecycle"): quantity × the plan's overage price. */
export function overageLines({
  overage,
  prices,
  currency,
  messages,
  periodEnd,
}: {
  overage: readonly UnbilledOverage[];
  prices: OveragePrices;
  currency: string;
  messages: BillingMessages;
  periodEnd: Date;
}): DraftLine[] {
  return overage.flatMap((entry) => {
    const price = prices[entry.featureKey];
    if (!price || price.currency !== currency) return [];
    return [
      {
        kind: "overage" as const,
        description: messages.overage({ feature: entry.featureKey, quantity: entry.quantity }),
        amount: price.unitAmount * entry.quantity,
        quantity: entry.quantity,
        unitAmount: price.unitAmount,
        proration: false,
        periodStart: entry.periodStart,
        periodEnd,
      },
    ];
  });
}

export async function markOverageBilled({
  executor,
  overage,
}: {
  executor: Executor;
  overage: readonly UnbilledOverage[];
}): Promise<void> {
  for (const entry of overage) {
    await executor
      .update(usageCounters)
      .set({ overageBilled: sql`greatest(${usageCounters.overageBilled}, ${entry.billedUpTo})` })
      .where(
        and(
          eq(usageCounters.organizationId, entry.organizationId),
          eq(usageCounters.featureKey, entry.featureKey),
          eq(usageCounters.periodStart, entry.periodStart),
        ),
      );
  }
}
