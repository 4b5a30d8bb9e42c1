import type { invoiceLines } from "../db/schema/index.ts";
import { formatTaxPercentage, parseTaxPercentage } from "../money/index.ts";
import type { LineTax } from "../taxes/tax-calculator.ts";

/** What an invoice says about one rate: the tax and the base it was computed on (docs/billing.md "Taxes"). */
export interface TaxSummaryEntry {
  taxRateId: string | null;
  name: string;
  percentage: string;
  inclusive: boolean;
  /** The base excluding the tax ("base imponible"): the taxable amounts, less the tax when it was inside them. */
  netAmount: bigint;
  amount: bigint;
}

export interface TaxedLine {
  taxableAmount: bigint;
  tax: LineTax | null;
}

/** The tax of an invoice line as stored, or null when the line bears none. */
export function lineTaxOf(row: typeof invoiceLines.$inferSelect): LineTax | null {
  if (row.taxPercentage === null || row.taxName === null) return null;
  return {
    taxRateId: row.taxRateId,
    name: row.taxName,
    percentage: formatTaxPercentage(parseTaxPercentage(row.taxPercentage)),
    inclusive: row.taxInclusive ?? false,
    amount: row.taxAmount,
  };
}

/**
 * An invoice line as stored, with its tax. A line issued before taxes existed stores no taxable amount:
 * it is what the line charged, `amount − discount` (its discount is stored, migration 0017).
 */
export function taxedLineOf(row: typeof invoiceLines.$inferSelect): TaxedLine {
  return { taxableAmount: row.taxableAmount ?? row.amount - row.discount, tax: lineTaxOf(row) };
}

/** The lines' taxes added up per rate (same rate id, name, percentage and inclusiveness), in first-seen order. */
export function summarizeTaxes(lines: readonly TaxedLine[]): TaxSummaryEntry[] {
  const entries = new Map<string, TaxSummaryEntry>();
  for (const { taxableAmount, tax } of lines) {
    if (tax === null) continue;
    const key = JSON.stringify([tax.taxRateId, tax.name, tax.percentage, tax.inclusive]);
    const entry = entries.get(key) ?? {
      taxRateId: tax.taxRateId,
      name: tax.name,
      percentage: tax.percentage,
      inclusive: tax.inclusive,
      netAmount: 0n,
      amount: 0n,
    };
    entry.netAmount += tax.inclusive ? taxableAmount - tax.amount : taxableAmount;
    entry.amount += tax.amount;
    entries.set(key, entry);
  }
  return [...entries.values()];
}
