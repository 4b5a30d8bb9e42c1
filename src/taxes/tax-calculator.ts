import type { Executor } from "../db/database.ts";
import type { TaxExempt, TaxIdType } from "../db/schema/index.ts";

/**
 * Computes the taxes of an invoice's lines. Abono ships the manual-rates implementation
 * (`createManualTaxCalculator`: the rates of the catalog, docs/billing.md "Taxes"); an external tax
 * service plugs in by implementing this interface and being wired at the composition root
 * (`src/server.ts`, `createTaxCalculator`) instead. Everything around it (discounts before, totals,
 * balance and charge after, previews) stays the same.
 */
export interface TaxCalculator {
  calculate(request: TaxRequest): Promise<TaxCalculation>;
}

/** Who is taxed: the organization's billing details that matter for tax. */
export interface TaxCustomer {
  organizationId: string;
  /** The billing address's country (ISO 3166-1 alpha-2); null without a billing address. */
  country: string | null;
  taxExempt: TaxExempt;
  taxId: string | null;
  taxIdType: TaxIdType | null;
  /** A rate given to the organization explicitly, replacing its country's default. */
  taxRateId: string | null;
}

export interface TaxableLine {
  /** The line's amount after its share of the discount, as priced (tax inside it when the rate is inclusive). */
  taxableAmount: bigint;
  kind: string;
  description: string;
}

export interface TaxRequest {
  /** The transaction the invoice is computed in (a calculator that keeps its rates in Abono reads them here). */
  executor: Executor;
  customer: TaxCustomer;
  currency: string;
  lines: readonly TaxableLine[];
  now: Date;
}

/** The tax of one line and the rate it was computed at, copied onto the invoice line. */
export interface LineTax {
  /** The catalog rate; null when the rate comes from outside the catalog. */
  taxRateId: string | null;
  /** What the invoice calls the tax ("IVA"). */
  name: string;
  /** Exact decimal string: "21", "10.5". */
  percentage: string;
  /** The tax is inside the line's amount (extracted) rather than added to it. */
  inclusive: boolean;
  /** Minor units; negative on a credit line. */
  amount: bigint;
}

export interface TaxCalculation {
  /** One entry per requested line, in order; null for a line that bears no tax. */
  lines: (LineTax | null)[];
  /** The customer accounts for the tax itself: no tax, and the invoice carries the legend. */
  reverseCharge: boolean;
}

/** A calculation that taxes nothing (no rate applies, or the customer is exempt). */
export function untaxed(
  lines: readonly TaxableLine[],
  { reverseCharge = false }: { reverseCharge?: boolean } = {},
): TaxCalculation {
  return { lines: lines.map(() => null), reverseCharge };
}
