import { invalidState } from "../errors.ts";
import { allocateProportionally, percentOf } from "../money/index.ts";
import type { TaxCalculation } from "../taxes/tax-calculator.ts";

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
  /**
   * The discount on the line (docs/billing.md "Coupons and prorated lines"): set on prorated lines built
   * with the one they carry, and on every line once `discountLines` has shared the coupon out (unset on
   * full charges until then). The line's tax is computed on `amount − discount` (docs/billing.md "Taxes").
   */
  discount?: bigint;
  /** The add-on the line charges or credits; unset for the plan and other lines. */
  addonId?: string | null;
}

export interface CouponTerms {
  percentOff: number | null;
  amountOff: bigint | null;
}

export interface InvoiceTotals {
  subtotal: bigint;
  discount: bigint;
  /** The lines' taxes added up (docs/billing.md "Taxes"). */
  tax: bigint;
  /** The part of `tax` already inside the prices (inclusive rates); the rest is added to the total. */
  taxIncluded: bigint;
  /** `subtotal − discount + (tax − taxIncluded)`: what the invoice comes to, tax included. */
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
 * The order of docs/billing.md "Invoices": lines → discount (the coupon on full charges, plus what prorated
 * lines carry: `discountLines`) → tax per line on what is left of it (`taxes`, from the `TaxCalculator`;
 * added to the total, or already inside it for inclusive rates) → credit balance (subscription invoices
 * only) → amount due. Nothing goes below zero: a negative total is credited to the balance instead.
 */
export function computeInvoiceTotals({
  kind,
  lines,
  coupon,
  balanceAvailable,
  taxes = null,
}: {
  kind: InvoiceKind;
  lines: readonly DraftLine[];
  coupon: CouponTerms | null;
  balanceAvailable: bigint;
  /** The taxes of `lines`, computed on their amounts after `discountLines`; null: untaxed. */
  taxes?: TaxCalculation | null;
}): InvoiceTotals {
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0n);
  requireInvoiceable(lines, subtotal);
  const discount = discountLines({ lines, coupon }).reduce(
    (sum, line) => sum + (line.discount ?? 0n),
    0n,
  );
  const lineTaxes = (taxes?.lines ?? []).filter((tax) => tax !== null);
  const tax = lineTaxes.reduce((sum, line) => sum + line.amount, 0n);
  const taxIncluded = lineTaxes
    .filter((line) => line.inclusive)
    .reduce((sum, line) => sum + line.amount, 0n);
  const total = subtotal - discount + tax - taxIncluded;
  if (total < 0n) {
    return {
      subtotal,
      discount,
      tax,
      taxIncluded,
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
    tax,
    taxIncluded,
    total,
    balanceApplied,
    creditedToBalance: 0n,
    amountDue: total - balanceApplied,
  };
}

/**
 * Every line with its discount set: a prorated line keeps the discount it carries (none when it carries
 * none); the coupon's discount on the full charges (positive lines that are not prorated) is computed on
 * their sum (a percentage of it, or the amount off up to it) and shared over them in proportion to their
 * amounts, so that the lines' discounts add up to the invoice's. The tax of each line is computed on what
 * is left (`amount − discount`).
 */
export function discountLines({
  lines,
  coupon,
}: {
  lines: readonly DraftLine[];
  coupon: CouponTerms | null;
}): DraftLine[] {
  const isFullCharge = (line: DraftLine) =>
    line.discount === undefined && !line.proration && line.amount > 0n;
  const charges = lines.filter(isFullCharge).map((line) => line.amount);
  const discountable = charges.reduce((sum, amount) => sum + amount, 0n);
  const discount = coupon === null ? 0n : couponDiscount({ coupon, discountable });
  const shares = allocateProportionally({ total: discount, weights: charges });
  let next = 0;
  return lines.map((line) => {
    if (!isFullCharge(line)) return { ...line, discount: line.discount ?? 0n };
    const share = shares[next] ?? 0n;
    next += 1;
    return { ...line, discount: share };
  });
}

function couponDiscount({ coupon, discountable }: { coupon: CouponTerms; discountable: bigint }) {
  if (discountable <= 0n) return 0n;
  if (coupon.percentOff !== null)
    return percentOf({ amount: discountable, percent: coupon.percentOff });
  const amountOff = coupon.amountOff ?? 0n;
  return amountOff < discountable ? amountOff : discountable;
}
