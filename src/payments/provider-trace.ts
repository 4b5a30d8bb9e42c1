import { inArray, sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { organizationBillingProviders } from "../db/schema/index.ts";

/**
 * Records, under the organization's billing providers (`billingProviders.<provider>`), what a
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

/** Every provider's record of each organization: organization id → provider name → record. */
export async function readBillingProviders({
  executor,
  organizationIds,
}: {
  executor: Executor;
  organizationIds: string[];
}): Promise<Map<string, Record<string, Record<string, unknown>>>> {
  const rows = await executor
    .select()
    .from(organizationBillingProviders)
    .where(inArray(organizationBillingProviders.organizationId, organizationIds));
  const byOrganization = new Map<string, Record<string, Record<string, unknown>>>();
  for (const row of rows) {
    const records = byOrganization.get(row.organizationId) ?? {};
    records[row.provider] = row.data;
    byOrganization.set(row.organizationId, records);
  }
  return byOrganization;
}
