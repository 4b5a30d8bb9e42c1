import { formatTaxPercentage, parseTaxPercentage, taxAmount } from "../money/index.ts";
import { resolveTaxRates } from "./resolve-tax-rates.ts";
import type { TaxableLine, TaxCalculation, TaxCalculator } from "./tax-calculator.ts";
import { untaxed } from "./tax-calculator.ts";
import type { TaxRateRow } from "./tax-rates.ts";

/**
 * The manual-rates `TaxCalculator`: the rates of Abono's catalog (`POST /v1/tax-rates`), one per
 * organization (its own `taxRateId`, else its billing country's default), applied line by line.
 * `taxExempt: "exempt"` taxes nothing; `"reverse"` taxes nothing and marks the invoice reverse charge.
 */
export function createManualTaxCalculator(): TaxCalculator {
  return {
    async calculate({ executor, customer, lines }) {
      if (customer.taxExempt !== "none") {
        return untaxed(lines, { reverseCharge: customer.taxExempt === "reverse" });
      }
      if (customer.taxRateId === null && customer.country === null) return untaxed(lines);
      const applied = await resolveTaxRates({ executor, customers: [customer] });
      const rate = applied.get(customer.organizationId)?.rate;
      return rate ? computeLineTaxes({ rate, lines }) : untaxed(lines);
    },
  };
}

/**
 * Every line taxed at `rate` on its taxable amount (after discounts), each rounded once
 * (docs/billing.md "Taxes"): added for an exclusive rate, extracted for an inclusive one.
 */
export function computeLineTaxes({
  rate,
  lines,
}: {
  rate: Pick<TaxRateRow, "id" | "name" | "percentage" | "inclusive">;
  lines: readonly TaxableLine[];
}): TaxCalculation {
  const percentage = parseTaxPercentage(rate.percentage);
  return {
    lines: lines.map((line) => ({
      taxRateId: rate.id,
      name: rate.name,
      percentage: formatTaxPercentage(percentage),
      inclusive: rate.inclusive,
      amount: taxAmount({ amount: line.taxableAmount, percentage, inclusive: rate.inclusive }),
    })),
    reverseCharge: false,
  };
}
