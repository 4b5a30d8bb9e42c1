import type { Interval } from "../time/index.ts";

export type Locale = "en" | "es";

/** A stored locale (an invoice's, an organization's) as one the messages speak: Spanish, else English. */
export function localeOf(stored: string): Locale {
  return stored === "es" ? "es" : "en";
}

/**
 * What Abono writes for the customer to read about billing, in the organization's locale, when it is
 * written: invoice line descriptions, credit balance (ledger) entries, and the description a provider
 * shows with a charge (e.g. on a receipt). Names from the catalog (plans, add-ons, packs) appear as the
 * operator wrote them.
 */
export interface BillingMessages {
  planCharge(args: { plan: string; interval: Interval }): string;
  firstPeriod(args: { plan: string }): string;
  trial(args: { plan: string }): string;
  unusedTime(args: { plan: string }): string;
  remainingTime(args: { plan: string }): string;
  addonCharge(args: { addon: string; quantity: number | bigint }): string;
  addonAdded(args: { addon: string; quantity: number | bigint }): string;
  addonRemoved(args: { addon: string; quantity: number | bigint }): string;
  overage(args: { feature: string; quantity: bigint }): string;
  pack(args: { pack: string; quantity: number | bigint }): string;
  /** Ledger: credit balance applied to an invoice (`applied_to_invoice`). */
  appliedToInvoice(args: { number: string }): string;
  /** Ledger: a credit note's credit added to the balance (`proration_credit`, `refund_to_balance`). */
  creditFromInvoice(args: { number: string }): string;
  /** Ledger: credit paid out to the customer's payment method (`payout`). */
  paidOut(args: { reference: string }): string;
  /** A charge's description at the provider, naming the invoice (its number, or its id before it has one). */
  invoiceCharge(args: { reference: string }): string;
}

const english: BillingMessages = {
  planCharge: ({ plan, interval }) => `${plan} (${interval === "month" ? "monthly" : "yearly"})`,
  firstPeriod: ({ plan }) => `${plan} (first period, prorated)`,
  trial: ({ plan }) => `Trial of ${plan}`,
  unusedTime: ({ plan }) => `Unused time on ${plan}`,
  remainingTime: ({ plan }) => `Remaining time on ${plan}`,
  addonCharge: ({ addon, quantity }) => `${addon} × ${quantity}`,
  addonAdded: ({ addon, quantity }) => `Remaining time on ${quantity} × ${addon}`,
  addonRemoved: ({ addon, quantity }) => `Unused time on ${quantity} × ${addon}`,
  overage: ({ feature, quantity }) => `${feature}: ${quantity} over the included allowance`,
  pack: ({ pack, quantity }) =>
    `Top-up pack: ${pack}${Number(quantity) === 1 ? "" : ` × ${quantity}`}`,
  appliedToInvoice: ({ number }) => `Applied to invoice ${number}`,
  creditFromInvoice: ({ number }) => `Credit note ${number}`,
  paidOut: ({ reference }) => `Paid out to your payment method (${reference})`,
  invoiceCharge: ({ reference }) => `Invoice ${reference}`,
};

const spanish: BillingMessages = {
  planCharge: ({ plan, interval }) => `${plan} (${interval === "month" ? "mensual" : "anual"})`,
  firstPeriod: ({ plan }) => `${plan} (primer período, prorrateado)`,
  trial: ({ plan }) => `Período de prueba de ${plan}`,
  unusedTime: ({ plan }) => `Tiempo no utilizado de ${plan}`,
  remainingTime: ({ plan }) => `Tiempo restante de ${plan}`,
  addonCharge: ({ addon, quantity }) => `${addon} × ${quantity}`,
  addonAdded: ({ addon, quantity }) => `Tiempo restante de ${quantity} × ${addon}`,
  addonRemoved: ({ addon, quantity }) => `Tiempo no utilizado de ${quantity} × ${addon}`,
  overage: ({ feature, quantity }) => `${feature}: ${quantity} por encima de lo incluido`,
  pack: ({ pack, quantity }) =>
    `Paquete de recarga: ${pack}${Number(quantity) === 1 ? "" : ` × ${quantity}`}`,
  appliedToInvoice: ({ number }) => `Aplicado a la factura ${number}`,
  creditFromInvoice: ({ number }) => `Nota de crédito ${number}`,
  paidOut: ({ reference }) => `Devuelto a tu medio de pago (${reference})`,
  invoiceCharge: ({ reference }) => `Factura ${reference}`,
};

export function billingMessages(locale: Locale): BillingMessages {
  return locale === "es" ? spanish : english;
}
