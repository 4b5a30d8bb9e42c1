import { eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { organizations } from "../db/schema/index.ts";
import type { OrganizationRecord } from "../organizations/organization-record.ts";

/**
 * docs/billing.md "Money and periods": an organization has one billing currency, fixed by the first thing it pays for.
 * Records `currency` when the organization has none yet; later calls leave it as it is.
 */
export async function fixBillingCurrency({
  executor,
  organization,
  currency,
  now,
}: {
  executor: Executor;
  organization: Pick<OrganizationRecord, "id" | "currency">;
  currency: string;
  now: Date;
}): Promise<void> {
  if (organization.currency !== null) return;
  await executor
    .update(organizations)
    .set({ currency, updatedAt: now })
    .where(eq(organizations.id, organization.id));
}
