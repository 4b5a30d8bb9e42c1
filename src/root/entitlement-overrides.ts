import { and, asc, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Feature } from "../catalog/catalog-types.ts";
import type { Database, Executor } from "../db/database.ts";
import { entitlementOverrides, features } from "../db/schema/index.ts";
import { notFound, validationError } from "../errors.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import { organizationNow } from "../organizations/organization-now.ts";
import { getOrganizationRecord } from "../organizations/organizations.ts";

export type EntitlementOverride = typeof entitlementOverrides.$inferSelect;
export type OverrideValue = boolean | number | null;

const overrideSetAuditAction = "root.entitlement_override_set";
const overrideRemovedAuditAction = "root.entitlement_override_removed";

/**
 * Does `value` fit the feature's kind? Boolean features take true/false; limit and metered features take a
 * whole number ≥ 0 (the cap or the period allowance), null (unlimited) or false (not included).
 * Returns the problem, or null when the value fits.
 */
function overrideValueProblem({
  feature,
  value,
}: {
  feature: Pick<Feature, "key" | "kind">;
  value: OverrideValue;
}): string | null {
  if (feature.kind === "boolean") {
    return typeof value === "boolean"
      ? null
      : `value: "${feature.key}" is a boolean feature; send true or false.`;
  }
  if (value === null || value === false) return null;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return null;
  return `value: "${feature.key}" is a ${feature.kind} feature; send a whole number ≥ 0 (the ${feature.kind === "limit" ? "cap" : "allowance per period"}), null for unlimited, or false to deny it.`;
}

/**
 * Root overrides one feature of one organization (a value that wins over the plan and add-ons), until
 * `expiresAt` if given. Under the organization's row lock, audited with before/after. The entitlement
 * version trigger makes every process see the change at its next check.
 */
export async function setEntitlementOverride({
  db,
  organizationId,
  featureKey,
  value,
  reason,
  expiresAt,
  actor,
  systemNow,
}: {
  db: Database;
  organizationId: string;
  featureKey: string;
  value: OverrideValue;
  reason: string;
  expiresAt: Date | null;
  actor: string;
  systemNow: Date;
}): Promise<{ override: EntitlementOverride; auditLogId: string }> {
  return db.transaction(async (tx) => {
    const { now } = await lockOrganization({ tx, organizationId, systemNow });
    const [feature] = await tx.select().from(features).where(eq(features.key, featureKey));
    if (!feature) throw notFound("Feature", featureKey);
    const problem = overrideValueProblem({ feature, value });
    if (problem !== null) throw validationError(problem, { kind: feature.kind });
    if (expiresAt !== null && expiresAt <= now) {
      throw validationError(
        `expiresAt: must be in the future (the organization's time is ${now.toISOString()}).`,
      );
    }
    const before = await findOverride({ executor: tx, organizationId, featureKey });
    const values = { value, reason, expiresAt, createdAt: now };
    const [override] = await tx
      .insert(entitlementOverrides)
      .values({ organizationId, featureKey, ...values })
      .onConflictDoUpdate({
        target: [entitlementOverrides.organizationId, entitlementOverrides.featureKey],
        set: values,
      })
      .returning();
    if (!override) throw new Error("entitlement override upsert returned no row");
    const auditLogId = await recordAudit({
      executor: tx,
      entry: {
        action: overrideSetAuditAction,
        actor,
        organizationId,
        reason,
        before: before ? overrideSnapshot(before) : null,
        after: overrideSnapshot(override),
        metadata: { feature: featureKey, kind: feature.kind },
      },
      now,
    });
    return { override, auditLogId };
  });
}

/** Removes root's override of one feature: the plan's value applies again. Audited with the old value. */
export async function removeEntitlementOverride({
  db,
  organizationId,
  featureKey,
  reason,
  actor,
  systemNow,
}: {
  db: Database;
  organizationId: string;
  featureKey: string;
  reason: string;
  actor: string;
  systemNow: Date;
}): Promise<{ override: EntitlementOverride; auditLogId: string }> {
  return db.transaction(async (tx) => {
    const { now } = await lockOrganization({ tx, organizationId, systemNow });
    const [removed] = await tx
      .delete(entitlementOverrides)
      .where(
        and(
          eq(entitlementOverrides.organizationId, organizationId),
          eq(entitlementOverrides.featureKey, featureKey),
        ),
      )
      .returning();
    if (!removed) throw notFound("Entitlement override of feature", featureKey);
    const auditLogId = await recordAudit({
      executor: tx,
      entry: {
        action: overrideRemovedAuditAction,
        actor,
        organizationId,
        reason,
        before: overrideSnapshot(removed),
        after: null,
        metadata: { feature: featureKey },
      },
      now,
    });
    return { override: removed, auditLogId };
  });
}

/** Every override of the organization, expired ones included, by feature key, and its "now". */
export async function listEntitlementOverrides({
  db,
  organizationId,
  systemNow,
}: {
  db: Database;
  organizationId: string;
  systemNow: Date;
}): Promise<{ overrides: EntitlementOverride[]; now: Date }> {
  const organization = await getOrganizationRecord({ db, organizationId });
  const now = await organizationNow({
    executor: db,
    testClockId: organization.testClockId,
    systemNow,
  });
  const overrides = await db
    .select()
    .from(entitlementOverrides)
    .where(eq(entitlementOverrides.organizationId, organizationId))
    .orderBy(asc(entitlementOverrides.featureKey));
  return { overrides, now };
}

async function findOverride({
  executor,
  organizationId,
  featureKey,
}: {
  executor: Executor;
  organizationId: string;
  featureKey: string;
}): Promise<EntitlementOverride | null> {
  const [row] = await executor
    .select()
    .from(entitlementOverrides)
    .where(
      and(
        eq(entitlementOverrides.organizationId, organizationId),
        eq(entitlementOverrides.featureKey, featureKey),
      ),
    );
  return row ?? null;
}

function overrideSnapshot(override: EntitlementOverride) {
  return {
    feature: override.featureKey,
    value: override.value,
    reason: override.reason,
    expiresAt: override.expiresAt,
  };
}
