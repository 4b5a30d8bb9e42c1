import { MoneyError, multiplyRatio } from "../money/index.ts";
import type { InvoiceLineRow } from "./invoices.ts";

/** A credit note's line reversing part of an invoice line (stored like any invoice line). */
export type RefundLine = Omit<InvoiceLineRow, "invoiceId" | "organizationId" | "position">;

export interface RefundTotals {
  subtotal: bigint;
  tax: bigint;
  taxIncluded: bigint;
  /** `−refund`: the credit note's total. */
  total: bigint;
}

/**
 * The lines of a refund's credit note (docs/billing.md "Refunds"): `refund` (minor units, tax included)
 * is shared over the invoice's lines in proportion to what each line came to (its amount after its
 * discount, plus its tax when the tax was added), each part rounded once and the rounding remainder put on
 * the line that came to the most, so the parts add up to `refund` exactly. Each part reverses its line's
 * tax in the same proportion (rounded once), so a full refund reverses every line and its tax exactly.
 * Lines are negative (a credit); `total = −refund`.
 */
export function computeRefundLines({
  lines,
  invoiceTotal,
  refund,
}: {
  lines: readonly InvoiceLineRow[];
  invoiceTotal: bigint;
  refund: bigint;
}): { lines: RefundLine[]; totals: RefundTotals } {
  if (invoiceTotal <= 0n)
    throw new MoneyError("Only an invoice with a positive total is refunded.");
  if (refund <= 0n || refund > invoiceTotal) {
    throw new MoneyError(`A refund is between 1 and the invoice's total (${invoiceTotal}).`);
  }
  const gross = lines.map(
    (line) => line.amount - line.discount + (line.taxInclusive ? 0n : line.taxAmount),
  );
  const parts = gross.map((amount) =>
    multiplyRatio({ amount, numerator: refund, denominator: invoiceTotal }),
  );
  const remainder = refund - parts.reduce((sum, part) => sum + part, 0n);
  if (remainder !== 0n) {
    const largest = gross.reduce(
      (best, amount, index) => (abs(amount) > abs(gross[best] ?? 0n) ? index : best),
      0,
    );
    parts[largest] = (parts[largest] ?? 0n) + remainder;
  }
  const refundLines: RefundLine[] = [];
  for (const [index, line] of lines.entries()) {
    const part = parts[index] ?? 0n;
    const lineGross = gross[index] ?? 0n;
    if (part === 0n) continue;
    const tax =
      lineGross === 0n
        ? 0n
        : multiplyRatio({ amount: line.taxAmount, numerator: part, denominator: lineGross });
    const amount = line.taxInclusive ? part : part - tax;
    refundLines.push({
      kind: line.kind,
      description: line.description,
      amount: -amount,
      discount: 0n,
      addonId: line.addonId,
      quantity: null,
      unitAmount: null,
      proration: line.proration,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      taxableAmount: -amount,
      taxAmount: -tax,
      taxRateId: line.taxRateId,
      taxName: line.taxName,
      taxPercentage: line.taxPercentage,
      taxInclusive: line.taxInclusive,
    });
  }
  const subtotal = refundLines.reduce((sum, line) => sum + line.amount, 0n);
  const tax = refundLines.reduce((sum, line) => sum + line.taxAmount, 0n);
  const taxIncluded = refundLines.reduce(
    (sum, line) => sum + (line.taxInclusive ? line.taxAmount : 0n),
    0n,
  );
  return { lines: refundLines, totals: { subtotal, tax, taxIncluded, total: -refund } };
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}
