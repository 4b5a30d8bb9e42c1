/**
 * Everything the invoice PDF shows, already decided: amounts are `bigint` minor units in `currency`,
 * line descriptions are written in `locale`. The renderer formats and lays out; it computes nothing.
 */
export type InvoiceDocumentKind = "subscription" | "one_off" | "settlement";

export type InvoiceDocumentStatus = "draft" | "open" | "paid" | "void" | "uncollectible";

export interface InvoiceDocumentLine {
  /** Already localized by the caller. */
  description: string;
  /** Minor units; negative for credits. */
  amount: bigint;
  proration: boolean;
  periodStart: Date | null;
  periodEnd: Date | null;
}

export interface InvoiceDocument {
  /** `inv_…` */
  id: string;
  /** `ABN-000001`; null while draft. */
  number: string | null;
  kind: InvoiceDocumentKind;
  status: InvoiceDocumentStatus;
  /** ISO 4217, e.g. USD, CLP. */
  currency: string;
  locale: "en" | "es";
  /** e.g. "Abono". */
  issuerName: string;
  customer: { id: string; name: string };
  lines: InvoiceDocumentLine[];
  subtotal: bigint;
  discount: bigint;
  total: bigint;
  balanceApplied: bigint;
  creditedToBalance: bigint;
  amountDue: bigint;
  amountPaid: bigint;
  periodStart: Date | null;
  periodEnd: Date | null;
  createdAt: Date;
  paidAt: Date | null;
}
