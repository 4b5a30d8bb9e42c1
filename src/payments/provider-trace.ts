import { eq, sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { organizationBillingProviders } from "../db/schema/index.ts";

/**
 * Records, under the organization's billing providers (seed 003 `billingProviders.<provider>`), what a
 * provider last did for it: merged into the provider's record, in the caller's transaction.
 */
export async function writeProviderTrace({
  executor,
  organizationId,
  provider,
  data,
  now,
}: {
  executor: Executor;
  organizationId: string;
  provider: string;
  data: Record<string, unknown>;
  now: Date;
}): Promise<void> {
  await executor
    .insert(organizationBillingProviders)
    .values({ organizationId, provider, data, updatedAt: now })
    .onConflictDoUpdate({
      target: [organizationBillingProviders.organizationId, organizationBillingProviders.provider],
      set: {
        data: sql`${organizationBillingProviders.data} || excluded.data`,
        updatedAt: now,
      },
    });
}

/** Every provider's record of the organization, by provider name. */
export async function readBillingProviders({
  executor,
  organizationId,
}: {
  executor: Executor;
  organizationId: string;
}): Promise<Record<string, Record<string, unknown>>> {
  const rows = await executor
    .select({
      provider: organizationBillingProviders.provider,
      data: organizationBillingProviders.data,
    })
    .from(organizationBillingProviders)
    .where(eq(organizationBillingProviders.organizationId, organizationId));
  return Object.fromEntries(rows.map((row) => [row.provider, row.data]));
}
