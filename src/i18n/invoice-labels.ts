import type { InvoiceDocumentKind, InvoiceDocumentStatus } from "../invoicing/invoice-document.ts";

export type Locale = "en" | "es";

/** The fixed texts of the invoice PDF in one locale. */
export interface InvoiceLabels {
  locale: Locale;
  title: string;
  invoiceNumber: string;
  /** Shown instead of the number while the invoice is a draft. */
  draft: string;
  date: string;
  paidOn: string;
  billedTo: string;
  period: string;
  description: string;
  amount: string;
  subtotal: string;
  discount: string;
  total: string;
  balanceApplied: string;
  creditedToBalance: string;
  amountDue: string;
  amountPaid: string;
  proration: string;
  statusNames: Readonly<Record<InvoiceDocumentStatus, string>>;
  kindNames: Readonly<Record<InvoiceDocumentKind, string>>;
  /** The calendar date in UTC, e.g. "Jan 16, 2026" in "en" and "16 ene 2026" in "es". */
  formatDate(date: Date): string;
}

const english: InvoiceLabels = Object.freeze({
  locale: "en",
  title: "Invoice",
  invoiceNumber: "Invoice number",
  draft: "Draft",
  date: "Date",
  paidOn: "Paid on",
  billedTo: "Billed to",
  period: "Period",
  description: "Description",
  amount: "Amount",
  subtotal: "Subtotal",
  discount: "Discount",
  total: "Total",
  balanceApplied: "Credit balance applied",
  creditedToBalance: "Credited to your balance",
  amountDue: "Amount due",
  amountPaid: "Amount paid",
  proration: "Proration",
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
  draft: "Borrador",
  date: "Fecha",
  paidOn: "Fecha de pago",
  billedTo: "Facturado a",
  period: "Período",
  description: "Descripción",
  amount: "Importe",
  subtotal: "Subtotal",
  discount: "Descuento",
  total: "Total",
  balanceApplied: "Saldo a favor aplicado",
  creditedToBalance: "Abonado a su saldo a favor",
  amountDue: "Importe a pagar",
  amountPaid: "Importe pagado",
  proration: "Prorrateo",
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
