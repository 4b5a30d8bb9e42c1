import type { Executor } from "../db/database.ts";
import { organizationBillingProviders } from "../db/schema/index.ts";

/** The billing provider name under which root's manual changes are traced (the organization's `billingProviders.manual`). */
export const manualProvider = "manual";

/** The last manual change root made to an organization's plan or status: who, when, what and why. */
export interface ManualTrace {
  /** Who: the root API key id (`key_…`) or user (`user:<sub>`). */
  actor: string;
  /** When, in the organization's time (its test clock's, if any). */
  at: string;
  /** What was asked for: only the fields root sent. */
  changes: {
    planId?: string;
    entitlementStatus?: string;
    organizationStatus?: string;
  };
  reason: string;
  /** Whether the plan was in the catalog; null when no plan was set. */
  planCatalogFound: boolean | null;
  /** The audit entry with the full before/after. */
  auditLogId: string;
  requestId: string | null;
}

/**
 * Writes the manual trace (in the caller's transaction): one record per organization, replaced by each
 * manual change. The history of every change is the audit trail; this is the latest one, where the
 * organization's billing providers are.
 */
export async function writeManualTrace({
  executor,
  organizationId,
  trace,
  now,
}: {
  executor: Executor;
  organizationId: string;
  trace: ManualTrace;
  now: Date;
}): Promise<void> {
  const data = { ...trace } as unknown as Record<string, unknown>;
  await executor
    .insert(organizationBillingProviders)
    .values({ organizationId, provider: manualProvider, data, updatedAt: now })
    .onConflictDoUpdate({
      target: [organizationBillingProviders.organizationId, organizationBillingProviders.provider],
      set: { data, updatedAt: now },
    });
}
