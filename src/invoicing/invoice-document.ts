import type { PostalAddress, TaxIdType } from "../db/schema/index.ts";
import type { TaxSummaryEntry } from "./tax-summary.ts";

/**
 * Everything the invoice PDF shows, already decided: amounts are `bigint` minor units in `currency`,
 * line descriptions are written in `locale`. The renderer formats and lays out; it computes nothing.
 */
export type InvoiceDocumentKind = "subscription" | "one_off" | "settlement";

export type InvoiceDocumentStatus = "draft" | "open" | "paid" | "void" | "uncollectible";

export interface InvoiceDocumentLine {
  /** Already localized by the caller. */
  description: string;
  quantity: bigint | null;
  /** The price of one unit for the line's whole period; null when the line has none (a pending item). */
  unitAmount: bigint | null;
  /** Minor units; negative for credits. */
  amount: bigint;
  proration: boolean;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** The tax rate of the line ("21"), null when untaxed. */
  taxPercentage: string | null;
}

/** An invoice's issuer or customer. */
export interface InvoiceDocumentParty {
  /** The legal name (the organization's name when it gave none). */
  name: string;
  address: PostalAddress | null;
  taxId: string | null;
  taxIdType: TaxIdType | null;
  email: string | null;
}

export interface InvoiceDocumentPayment {
  /** `stripe`, `mercadopago`, `paypal`, `sandbox`, `manual`… */
  provider: string;
  /** The payment method as the provider described it ("Visa •••• 4242"); null for a checkout payment. */
  method: string | null;
  /** The provider's id of the payment (PaymentIntent, MercadoPago payment, PayPal capture). */
  reference: string | null;
  amount: bigint;
  paidAt: Date;
}

export interface InvoiceDocument {
  /** `inv_…` */
  id: string;
  /** An invoice, or a credit note ("Nota de crédito" / "Credit note", its own number sequence). */
  documentType: "invoice" | "credit_note";
  /** `ABN-000001` (`ABN-NC-000001` for a credit note); null while draft. */
  number: string | null;
  /** A credit note: the numbers of the invoices it corrects. */
  corrects: string[];
  kind: InvoiceDocumentKind;
  status: InvoiceDocumentStatus;
  /** ISO 4217, e.g. USD, CLP. */
  currency: string;
  locale: "en" | "es";
  issuer: InvoiceDocumentParty & {
    /** PNG or JPEG bytes, drawn at the top left; null: no logo. */
    logo: Buffer | null;
  };
  customer: InvoiceDocumentParty & {
    /** The organization's id, for the customer's reference. */
    reference: string;
    /** The organization's name, shown under the legal name when they differ. */
    tradeName: string | null;
  };
  lines: InvoiceDocumentLine[];
  subtotal: bigint;
  discount: bigint;
  /** The tax by rate (base and tax); empty when nothing is taxed. */
  taxes: TaxSummaryEntry[];
  total: bigint;
  balanceApplied: bigint;
  creditedToBalance: bigint;
  amountDue: bigint;
  amountPaid: bigint;
  /** A credit note: the part of its credit refunded to the payment method. */
  amountRefunded: bigint;
  /** "Reverse charge" legend: the customer accounts for the tax. */
  reverseCharge: boolean;
  /** "Tax exempt" legend. */
  taxExempt: boolean;
  /** The payments of a paid invoice (method and provider reference). */
  payments: InvoiceDocumentPayment[];
  /** The period the lines cover. */
  periodStart: Date | null;
  periodEnd: Date | null;
  createdAt: Date;
  paidAt: Date | null;
}
