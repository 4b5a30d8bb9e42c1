import { invalidState } from "../errors.ts";
import { percentOf } from "../money/index.ts";

export type InvoiceKind = "subscription" | "one_off" | "settlement";

export interface DraftLine {
  kind: "plan" | "addon" | "proration" | "pending_item" | "overage" | "pack" | "trial";
  description: string;
  amount: bigint;
  quantity: bigint | null;
  unitAmount: bigint | null;
  proration: boolean;
  periodStart: Date | null;
  periodEnd: Date | null;
}

export interface CouponTerms {
  percentOff: number | null;
  amountOff: bigint | null;
}

export interface InvoiceTotals {
  subtotal: bigint;
  discount: bigint;
  total: bigint;
  balanceApplied: bigint;
  creditedToBalance: bigint;
  amountDue: bigint;
}

/**
 * The largest amount (minor units) a line or an invoice may come to: JSON's largest safe integer, the
 * range every amount is sent in (and well inside PostgreSQL's bigint).
 */
export const maxInvoiceAmount = BigInt(Number.MAX_SAFE_INTEGER);

/** Refuses an invoice with a line or a sum beyond `maxInvoiceAmount` (which no retry will fix). */
function requireInvoiceable(lines: readonly DraftLine[], subtotal: bigint): void {
  const tooLarge = (amount: bigint) => amount > maxInvoiceAmount || -amount > maxInvoiceAmount;
  const line = lines.find((entry) => tooLarge(entry.amount));
  if (line || tooLarge(subtotal)) {
    throw invalidState(
      `The invoice is too large to issue: ${line ? `the line "${line.description}" comes to ${line.amount}` : `its lines come to ${subtotal}`} minor units, beyond the largest invoice amount (${maxInvoiceAmount}). Check the quantities and prices it is made of.`,
      { amount: String(line?.amount ?? subtotal), maximum: String(maxInvoiceAmount) },
    );
  }
}

/**
 * The order of docs/billing.md "Invoices": lines → coupon discount (on non-proration charges only) → credit balance
 * (subscription invoices only) → amount due. Nothing goes below zero: a negative total is credited to the
 * balance instead.
 */
export function computeInvoiceTotals({
  kind,
  lines,
  coupon,
  balanceAvailable,
}: {
  kind: InvoiceKind;
  lines: readonly DraftLine[];
  coupon: CouponTerms | null;
  balanceAvailable: bigint;
}): InvoiceTotals {
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0n);
  requireInvoiceable(lines, subtotal);
  const discountable = lines
    .filter((line) => !line.proration && line.amount > 0n)
    .reduce((sum, line) => sum + line.amount, 0n);
  const discount = coupon === null ? 0n : computeDiscount({ coupon, discountable });
  const total = subtotal - discount;
  if (total < 0n) {
    return {
      subtotal,
      discount,
      total,
      balanceApplied: 0n,
      creditedToBalance: -total,
      amountDue: 0n,
    };
  }
  const usable = kind === "subscription" && balanceAvailable > 0n ? balanceAvailable : 0n;
  const balanceApplied = usable < total ? usable : total;
  return {
    subtotal,
    discount,
    total,
    balanceApplied,
    creditedToBalance: 0n,
    amountDue: total - balanceApplied,
  };
}

function computeDiscount({ coupon, discountable }: { coupon: CouponTerms; discountable: bigint }) {
  if (discountable <= 0n) return 0n;
  if (coupon.percentOff !== null)
    return percentOf({ amount: discountable, percent: coupon.percentOff });
  const amountOff = coupon.amountOff ?? 0n;
  return amountOff < discountable ? amountOff : discountable;
}
