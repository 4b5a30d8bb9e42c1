import { eq } from "drizzle-orm";
import type { Transaction } from "../db/database.ts";
import { organizations } from "../db/schema/index.ts";
import { notFound } from "../errors.ts";
import { organizationNow } from "./organization-now.ts";
import type { OrganizationRecord } from "./organization-record.ts";

/**
 * Takes the organization's row lock for the rest of the transaction (the lock every money and entitlement
 * operation on one organization serializes on) and reads its "now" (its test clock's time, if any) once.
 */
export async function lockOrganization({
  tx,
  organizationId,
  systemNow,
}: {
  tx: Transaction;
  organizationId: string;
  systemNow: Date;
}): Promise<{ organization: OrganizationRecord; now: Date }> {
  const organization = await lockOrganizationRow({ tx, organizationId });
  const now = await organizationNow({
    executor: tx,
    testClockId: organization.testClockId,
    systemNow,
  });
  return { organization, now };
}

/** The organization's row lock alone, for changes that keep the caller's time (membership). */
export async function lockOrganizationRow({
  tx,
  organizationId,
}: {
  tx: Transaction;
  organizationId: string;
}): Promise<OrganizationRecord> {
  const [organization] = await tx
    .select()
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .for("update");
  if (!organization) throw notFound("Organization", organizationId);
  return organization;
}
