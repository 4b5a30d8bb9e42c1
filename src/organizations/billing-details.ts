import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import {
  type BillingDetails,
  type InvoiceCustomerDetails,
  organizations,
  type TaxIdType,
  taxRates,
} from "../db/schema/index.ts";
import { invalidEntry, notFound } from "../errors.ts";
import { isCountryCode } from "../taxes/country-codes.ts";
import type { TaxCustomer } from "../taxes/tax-calculator.ts";
import { taxIdProblem } from "../taxes/tax-id.ts";
import { lockOrganization } from "./lock-organization.ts";
import type { OrganizationRecord } from "./organization-record.ts";

/** A change: a field left out stays as it is; `null` clears it. */
export type BillingDetailsChanges = { [Field in keyof BillingDetails]?: BillingDetails[Field] };

export function billingDetailsOf(organization: OrganizationRecord): BillingDetails {
  return {
    legalName: organization.billingLegalName,
    address: organization.billingAddress,
    email: organization.billingEmail,
    taxId: organization.taxId,
    taxIdType: organization.taxIdType as TaxIdType | null,
    taxExempt: organization.taxExempt,
    taxRateId: organization.taxRateId,
  };
}

/** What the tax calculator needs to know about the organization. */
export function taxCustomerOf(organization: OrganizationRecord): TaxCustomer {
  return {
    organizationId: organization.id,
    country: organization.billingAddress?.country ?? null,
    taxExempt: organization.taxExempt,
    taxId: organization.taxId,
    taxIdType: organization.taxIdType as TaxIdType | null,
    taxRateId: organization.taxRateId,
  };
}

/** Who an invoice is issued to, copied onto it when it is finalized. */
export function customerDetailsOf(organization: OrganizationRecord): InvoiceCustomerDetails {
  const { taxRateId: _rate, ...details } = billingDetailsOf(organization);
  return { name: organization.name, ...details };
}

/** Pure rules the details must satisfy once the change is applied. */
export function validateBillingDetails(details: BillingDetails): string[] {
  const problems: string[] = [];
  if (details.address !== null && !isCountryCode(details.address.country)) {
    problems.push(
      `address.country: ${JSON.stringify(details.address.country)} is not an ISO 3166-1 alpha-2 country code; use two upper-case letters such as AR or ES`,
    );
  }
  if ((details.taxId === null) !== (details.taxIdType === null)) {
    problems.push(
      "taxId and taxIdType go together: send both (e.g. taxIdType ar_cuit with taxId 30-71234567-1), or null for both",
    );
  }
  if (details.taxId !== null && details.taxIdType !== null) {
    const problem = taxIdProblem({ type: details.taxIdType, value: details.taxId });
    if (problem) {
      problems.push(
        `taxId: ${JSON.stringify(details.taxId)} is not a valid ${details.taxIdType}: ${problem}`,
      );
    }
  }
  if (details.taxExempt === "reverse" && details.taxId === null) {
    problems.push(
      'taxExempt: "reverse" (reverse charge, for business customers that account for the tax themselves) needs the customer\'s taxId and taxIdType',
    );
  }
  return problems;
}

/**
 * Sets an organization's billing details under its row lock, audited as
 * `organization.billing_details_updated` with the details before and after. A `taxRateId` must name a
 * live rate of the catalog.
 */
export async function updateBillingDetails({
  db,
  organizationId,
  changes,
  actor,
  systemNow,
}: {
  db: Database;
  organizationId: string;
  changes: BillingDetailsChanges;
  actor: string;
  systemNow: Date;
}): Promise<OrganizationRecord> {
  return db.transaction(async (tx) => {
    const { organization, now } = await lockOrganization({ tx, organizationId, systemNow });
    const before = billingDetailsOf(organization);
    const after: BillingDetails = { ...before };
    for (const [field, value] of Object.entries(changes)) {
      if (value !== undefined) Object.assign(after, { [field]: value });
    }
    // Clearing the tax id clears its type.
    if (changes.taxId === null && changes.taxIdType === undefined) after.taxIdType = null;
    const problems = validateBillingDetails(after);
    if (changes.taxRateId != null && changes.taxRateId !== before.taxRateId) {
      const [rate] = await tx
        .select({ archivedAt: taxRates.archivedAt })
        .from(taxRates)
        .where(eq(taxRates.id, changes.taxRateId));
      if (!rate) {
        problems.push(
          `taxRateId: there is no tax rate "${changes.taxRateId}"; see GET /v1/tax-rates`,
        );
      } else if (rate.archivedAt !== null) {
        problems.push(`taxRateId: the tax rate "${changes.taxRateId}" is archived`);
      }
    }
    if (problems.length > 0) throw invalidEntry("The billing details", problems);
    const [updated] = await tx
      .update(organizations)
      .set({
        billingLegalName: after.legalName,
        billingAddress: after.address,
        billingEmail: after.email,
        taxId: after.taxId,
        taxIdType: after.taxIdType,
        taxExempt: after.taxExempt,
        taxRateId: after.taxRateId,
        updatedAt: now,
      })
      .where(eq(organizations.id, organizationId))
      .returning();
    if (!updated) throw notFound("Organization", organizationId);
    await recordAudit({
      executor: tx,
      entry: {
        action: "organization.billing_details_updated",
        actor,
        organizationId,
        before,
        after: billingDetailsOf(updated),
      },
      now,
    });
    return updated;
  });
}
