import type { Executor } from "../db/database.ts";
import type { LineTax, TaxCalculator, TaxCustomer } from "../taxes/tax-calculator.ts";
import {
  type CouponTerms,
  computeInvoiceTotals,
  type DraftLine,
  discountLines,
  type InvoiceKind,
  type InvoiceTotals,
} from "./compute-invoice-totals.ts";

/** A line with its share of the discount and its tax. */
export interface PricedLine extends DraftLine {
  discount: bigint;
  /** `amount − discount`: what the tax was computed on (tax included when the rate is inclusive). */
  taxableAmount: bigint;
  tax: LineTax | null;
}

export interface PricedInvoice {
  lines: PricedLine[];
  totals: InvoiceTotals;
  /** The customer accounts for the tax (reverse charge): the invoice says so. */
  reverseCharge: boolean;
}

/**
 * An invoice's lines and totals with taxes (docs/billing.md "Invoices" and "Taxes"): the coupon shared
 * over the lines, the tax of each line on what is left of it (from `taxCalculator`), then the totals and
 * the credit balance. Issuing an invoice, the billing run and every preview price through here, so a
 * preview shows the tax the invoice will have.
 */
export async function priceInvoice({
  executor,
  taxCalculator,
  customer,
  kind,
  currency,
  lines,
  coupon,
  balanceAvailable,
  now,
}: {
  executor: Executor;
  taxCalculator: TaxCalculator;
  customer: TaxCustomer;
  kind: InvoiceKind;
  currency: string;
  lines: readonly DraftLine[];
  coupon: CouponTerms | null;
  balanceAvailable: bigint;
  now: Date;
}): Promise<PricedInvoice> {
  const discounted = discountLines({ lines, coupon });
  const taxable = discounted.map((line) => ({
    taxableAmount: line.amount - (line.discount ?? 0n),
    kind: line.kind,
    description: line.description,
  }));
  const taxes =
    discounted.length === 0
      ? { lines: [], reverseCharge: customer.taxExempt === "reverse" }
      : await taxCalculator.calculate({ executor, customer, currency, lines: taxable, now });
  if (taxes.lines.length !== discounted.length) {
    throw new Error(
      `The tax calculator answered ${taxes.lines.length} line taxes for ${discounted.length} lines.`,
    );
  }
  const totals = computeInvoiceTotals({ kind, lines: discounted, coupon, balanceAvailable, taxes });
  return {
    lines: discounted.map((line, index) => ({
      ...line,
      discount: line.discount ?? 0n,
      taxableAmount: taxable[index]?.taxableAmount ?? line.amount,
      tax: taxes.lines[index] ?? null,
    })),
    totals,
    reverseCharge: taxes.reverseCharge,
  };
}
