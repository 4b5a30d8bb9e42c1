import type { TaxIdType } from "../db/schema/billing-details.ts";
import type { InvoiceDocumentKind, InvoiceDocumentStatus } from "../invoicing/invoice-document.ts";
import { countryName } from "../taxes/country-codes.ts";
import { taxIdLabels } from "../taxes/tax-id.ts";

export type Locale = "en" | "es";

/** The fixed texts of the invoice PDF in one locale. */
export interface InvoiceLabels {
  locale: Locale;
  title: string;
  invoiceNumber: string;
  /** A credit note's title and number label. */
  creditNoteTitle: string;
  creditNoteNumber: string;
  /** "Corrects invoice(s)": the invoices a credit note corrects. */
  corrects: string;
  /** A credit note's status: its credit was issued. */
  issued: string;
  /** A credit note's credit given back to the payment method. */
  refundedToPaymentMethod: string;
  /** Shown instead of the number while the invoice is a draft. */
  draft: string;
  date: string;
  paidOn: string;
  billedTo: string;
  period: string;
  description: string;
  quantity: string;
  unitPrice: string;
  /** The tax column's heading. */
  tax: string;
  amount: string;
  subtotal: string;
  /** The subtotal's label when the prices include the tax. */
  subtotalTaxIncluded: string;
  discount: string;
  /** "Base imponible IVA 21 %": the base a rate applied to. */
  taxBase(args: { name: string; percentage: string }): string;
  /** "IVA 21 %". */
  taxLine(args: { name: string; percentage: string }): string;
  total: string;
  balanceApplied: string;
  creditedToBalance: string;
  amountDue: string;
  amountPaid: string;
  proration: string;
  /** The customer accounts for the tax (reverse charge). */
  reverseCharge: string;
  taxExempt: string;
  customerReference: string;
  payment: string;
  /** "Ref." before a provider's payment id. */
  paymentReference: string;
  providerNames: Readonly<Record<string, string>>;
  /** "CUIT 30-71234567-1". */
  formatTaxId(args: { type: TaxIdType | null; value: string }): string;
  /** "21 %" in es, "21%" in en; the decimal separator of the locale. */
  formatPercentage(percentage: string): string;
  countryName(country: string): string;
  statusNames: Readonly<Record<InvoiceDocumentStatus, string>>;
  kindNames: Readonly<Record<InvoiceDocumentKind, string>>;
  /** The calendar date in UTC, e.g. "Jan 16, 2026" in "en" and "16 ene 2026" in "es". */
  formatDate(date: Date): string;
}

type TaxLabel = { name: string; percentage: string };

/** How the invoice names a payment provider; unknown providers appear as they are named. */
const providerNames: Readonly<Record<string, string>> = Object.freeze({
  stripe: "Stripe",
  mercadopago: "Mercado Pago",
  paypal: "PayPal",
  sandbox: "Sandbox",
  manual: "Manual",
});

function taxIdFormatter(locale: Locale) {
  return ({ type, value }: { type: TaxIdType | null; value: string }) =>
    `${taxIdLabels[type ?? "other"][locale]} ${value}`;
}

const english: InvoiceLabels = Object.freeze({
  locale: "en",
  title: "Invoice",
  invoiceNumber: "Invoice number",
  creditNoteTitle: "Credit note",
  creditNoteNumber: "Credit note number",
  corrects: "Corrects invoice",
  issued: "Issued",
  refundedToPaymentMethod: "Refunded to your payment method",
  draft: "Draft",
  date: "Date",
  paidOn: "Paid on",
  billedTo: "Billed to",
  period: "Period",
  description: "Description",
  quantity: "Qty",
  unitPrice: "Unit price",
  tax: "Tax",
  amount: "Amount",
  subtotal: "Subtotal",
  subtotalTaxIncluded: "Subtotal (tax included)",
  discount: "Discount",
  taxBase: ({ name, percentage }: TaxLabel) => `Taxable base (${name} ${percentage})`,
  taxLine: ({ name, percentage }: TaxLabel) => `${name} ${percentage}`,
  total: "Total",
  balanceApplied: "Credit balance applied",
  creditedToBalance: "Credited to your balance",
  amountDue: "Amount due",
  amountPaid: "Amount paid",
  proration: "Proration",
  reverseCharge: "Reverse charge: the customer accounts for the VAT.",
  taxExempt: "Tax exempt.",
  customerReference: "Customer",
  payment: "Payment",
  paymentReference: "Ref.",
  providerNames,
  formatTaxId: taxIdFormatter("en"),
  formatPercentage: (percentage: string) => `${percentage}%`,
  countryName: (country: string) => countryName({ country, locale: "en" }),
  statusNames: Object.freeze({
    draft: "Draft",
    open: "Open",
    paid: "Paid",
    void: "Void",
    uncollectible: "Uncollectible",
  }),
  kindNames: Object.freeze({
    subscription: "Subscription",
    one_off: "One-off purchase",
    settlement: "Settlement",
  }),
  formatDate: dateFormatter("en"),
});

const spanish: InvoiceLabels = Object.freeze({
  locale: "es",
  title: "Factura",
  invoiceNumber: "Número de factura",
  creditNoteTitle: "Nota de crédito",
  creditNoteNumber: "Número de nota de crédito",
  corrects: "Corrige la factura",
  issued: "Emitida",
  refundedToPaymentMethod: "Devuelto a su medio de pago",
  draft: "Borrador",
  date: "Fecha",
  paidOn: "Fecha de pago",
  billedTo: "Facturado a",
  period: "Período",
  description: "Descripción",
  quantity: "Cant.",
  unitPrice: "Precio unitario",
  tax: "Impuesto",
  amount: "Importe",
  subtotal: "Subtotal",
  subtotalTaxIncluded: "Subtotal (impuestos incluidos)",
  discount: "Descuento",
  taxBase: ({ name, percentage }: TaxLabel) => `Base imponible (${name} ${percentage})`,
  taxLine: ({ name, percentage }: TaxLabel) => `${name} ${percentage}`,
  total: "Total",
  balanceApplied: "Saldo a favor aplicado",
  creditedToBalance: "Abonado a su saldo a favor",
  amountDue: "Importe a pagar",
  amountPaid: "Importe pagado",
  proration: "Prorrateo",
  reverseCharge: "Inversión del sujeto pasivo.",
  taxExempt: "Operación exenta de impuestos.",
  customerReference: "Cliente",
  payment: "Pago",
  paymentReference: "Ref.",
  providerNames,
  formatTaxId: taxIdFormatter("es"),
  formatPercentage: (percentage: string) => `${percentage.replace(".", ",")}\u00a0%`,
  countryName: (country: string) => countryName({ country, locale: "es" }),
  statusNames: Object.freeze({
    draft: "Borrador",
    open: "Pendiente",
    paid: "Pagada",
    void: "Anulada",
    uncollectible: "Incobrable",
  }),
  kindNames: Object.freeze({
    subscription: "Suscripción",
    one_off: "Compra única",
    settlement: "Liquidación de servicios",
  }),
  formatDate: dateFormatter("es"),
});

const labelsByLocale: Readonly<Record<Locale, InvoiceLabels>> = { en: english, es: spanish };

export function invoiceLabels(locale: Locale): InvoiceLabels {
  const labels = Object.hasOwn(labelsByLocale, locale) ? labelsByLocale[locale] : undefined;
  if (labels === undefined) {
    throw new Error(`Locale ${JSON.stringify(locale)} has no invoice labels; use "en" or "es".`);
  }
  return labels;
}

function dateFormatter(locale: Locale): (date: Date) => string {
  const format = new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });
  return (date) => format.format(date);
}
