/**
 * Shapes stored as JSON: a postal address (an organization's billing address, the issuer's), and who an
 * invoice was issued to and by, copied onto the invoice when it is finalized so that later edits never
 * change an issued invoice.
 */

export interface PostalAddress {
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string | null;
  /** ISO 3166-1 alpha-2, upper case: "AR", "ES". */
  country: string;
}

export const taxIdTypes = [
  "ar_cuit",
  "mx_rfc",
  "cl_rut",
  "co_nit",
  "es_nif",
  "eu_vat",
  "uy_rut",
  "other",
] as const;
export type TaxIdType = (typeof taxIdTypes)[number];

export const taxExemptions = ["none", "exempt", "reverse"] as const;
export type TaxExempt = (typeof taxExemptions)[number];

/** An organization's billing details (docs/organizations.md "Billing details"). */
export interface BillingDetails {
  legalName: string | null;
  address: PostalAddress | null;
  email: string | null;
  taxId: string | null;
  taxIdType: TaxIdType | null;
  taxExempt: TaxExempt;
  /** A catalog rate given explicitly, replacing the billing country's default. */
  taxRateId: string | null;
}

/** Who an invoice was issued to: the organization's name and billing details (less its rate) then. */
export interface InvoiceCustomerDetails extends Omit<BillingDetails, "taxRateId"> {
  name: string;
}

export interface InvoiceIssuerDetails {
  legalName: string;
  address: PostalAddress | null;
  taxId: string | null;
  taxIdType: TaxIdType | null;
  email: string | null;
  /** A PNG or JPEG file on the server, drawn at the top of the PDF. */
  logoPath: string | null;
}
