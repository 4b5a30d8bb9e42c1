import { z } from "zod";
import { taxExemptions, taxIdTypes } from "../../db/schema/index.ts";
import { formatTaxPercentage, parseTaxPercentage } from "../../money/index.ts";
import { billingDetailsOf } from "../../organizations/billing-details.ts";
import type { OrganizationRecord } from "../../organizations/organization-record.ts";
import type { AppliedTaxRate } from "../../taxes/resolve-tax-rates.ts";
import { postalAddressSchema } from "./billing-schemas.ts";

/** An organization's billing details in and out (docs/organizations.md "Billing details"). */

export const exampleAddress = {
  line1: "Av. Corrientes 1234, piso 5",
  line2: null,
  city: "Buenos Aires",
  region: "CABA",
  postalCode: "C1043",
  country: "AR",
};

const text = (max: number) => z.string().trim().min(1).max(max);

export const postalAddressInput = z
  .strictObject({
    line1: text(200),
    line2: text(200).nullable().default(null),
    city: text(100),
    region: text(100).nullable().default(null),
    postalCode: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$/, "must be a postal code such as C1043 or 28001")
      .nullable()
      .default(null),
    country: z
      .string()
      .regex(
        /^[A-Z]{2}$/,
        "must be an ISO 3166-1 alpha-2 country code in upper case, e.g. AR or ES",
      ),
  })
  .meta({ examples: [exampleAddress] });

export const taxIdInput = z.string().trim().min(1).max(50);

export const billingDetailsSchema = z
  .object({
    legalName: z.string().nullable().describe("The name invoices are issued to."),
    address: postalAddressSchema.nullable(),
    email: z.string().nullable().describe("Where invoices are addressed (printed on them)."),
    taxId: z.string().nullable(),
    taxIdType: z.enum(taxIdTypes).nullable(),
    taxExempt: z
      .enum(taxExemptions)
      .describe(
        "`none`: taxed; `exempt`: no tax (the invoice says so); `reverse`: no tax, the customer accounts for it (reverse charge, EU B2B): the invoice carries the legend.",
      ),
    taxRateId: z
      .string()
      .nullable()
      .describe("A rate given explicitly, replacing the billing country's default."),
    appliedTaxRate: z
      .object({
        id: z.string(),
        name: z.string(),
        percentage: z.string(),
        inclusive: z.boolean(),
        source: z.enum(["explicit", "country_default"]),
      })
      .nullable()
      .describe(
        "The rate the organization's next invoices are taxed at: its `taxRateId`, else its billing country's default; null when exempt or when no rate applies.",
      ),
  })
  .describe("Billing details printed on invoices, and what decides their tax.");

export function billingDetailsResponse({
  organization,
  appliedTaxRate,
}: {
  organization: OrganizationRecord;
  appliedTaxRate: AppliedTaxRate | null;
}): z.infer<typeof billingDetailsSchema> {
  return {
    ...billingDetailsOf(organization),
    appliedTaxRate: appliedTaxRate && {
      id: appliedTaxRate.rate.id,
      name: appliedTaxRate.rate.name,
      percentage: formatTaxPercentage(parseTaxPercentage(appliedTaxRate.rate.percentage)),
      inclusive: appliedTaxRate.rate.inclusive,
      source: appliedTaxRate.source,
    },
  };
}
