import { describe, expect, it } from "vitest";
import type { DraftLine } from "../../../src/invoicing/compute-invoice-totals.ts";
import { priceInvoice } from "../../../src/invoicing/price-invoice.ts";
import { summarizeTaxes } from "../../../src/invoicing/tax-summary.ts";
import { computeLineTaxes } from "../../../src/taxes/manual-tax-calculator.ts";
import type { TaxCalculator, TaxCustomer } from "../../../src/taxes/tax-calculator.ts";

/**
 * docs/billing.md "Taxes": the coupon is shared over the full charges in proportion to their amounts, the
 * tax of each line is computed on what is left of it and rounded once, and the totals add the tax
 * (exclusive rates) or find it inside the prices (inclusive rates).
 */

const customer: TaxCustomer = {
  organizationId: "acme",
  country: "AR",
  taxExempt: "none",
  taxId: null,
  taxIdType: null,
  taxRateId: null,
};

/** A calculator at one catalog rate, without a database. */
const atRate = (percentage: string, inclusive: boolean): TaxCalculator => ({
  calculate: async ({ lines }) =>
    computeLineTaxes({ rate: { id: "iva", name: "IVA", percentage, inclusive }, lines }),
});

function line(overrides: Partial<DraftLine>): DraftLine {
  return {
    kind: "plan",
    description: "Plan",
    amount: 0n,
    quantity: 1n,
    unitAmount: null,
    proration: false,
    periodStart: null,
    periodEnd: null,
    ...overrides,
  };
}

const price = (taxCalculator: TaxCalculator, lines: DraftLine[], extra = {}) =>
  priceInvoice({
    executor: undefined as never,
    taxCalculator,
    customer,
    kind: "subscription",
    currency: "USD",
    lines,
    coupon: null,
    balanceAvailable: 0n,
    now: new Date(0),
    ...extra,
  });

describe("priceInvoice", () => {
  it("taxes each line on its amount after its share of the coupon, rounding once per line (21%, added)", async () => {
    const priced = await price(
      atRate("21", false),
      [
        line({ amount: 4000n }),
        line({ kind: "addon", amount: 3000n }),
        line({ kind: "proration", amount: -1550n, proration: true }),
      ],
      { coupon: { percentOff: 15, amountOff: null } },
    );
    // 15% of the 7000 of full charges = 1050, shared 4000:3000 → 600 and 450; the credit carries none.
    expect(priced.lines.map((entry) => entry.discount)).toEqual([600n, 450n, 0n]);
    expect(priced.lines.map((entry) => entry.taxableAmount)).toEqual([3400n, 2550n, -1550n]);
    // 3400 × 0.21 = 714; 2550 × 0.21 = 535.5 → 536; −1550 × 0.21 = −325.5 → −326.
    expect(priced.lines.map((entry) => entry.tax?.amount)).toEqual([714n, 536n, -326n]);
    expect(priced.totals).toMatchObject({
      subtotal: 5450n,
      discount: 1050n,
      tax: 924n,
      taxIncluded: 0n,
      total: 5324n, // 5450 − 1050 + 924
      amountDue: 5324n,
    });
    expect(summarizeTaxes(priced.lines)).toEqual([
      {
        taxRateId: "iva",
        name: "IVA",
        percentage: "21",
        inclusive: false,
        netAmount: 4400n,
        amount: 924n,
      },
    ]);
  });

  it("extracts an inclusive tax from each line and leaves the total as priced", async () => {
    const priced = await price(atRate("21", true), [
      line({ amount: 12100n }),
      line({ kind: "addon", amount: 1000n }),
    ]);
    // 12100 × 21/121 = 2100; 1000 × 21/121 = 173.55 → 174.
    expect(priced.lines.map((entry) => entry.tax?.amount)).toEqual([2100n, 174n]);
    expect(priced.totals).toMatchObject({
      subtotal: 13100n,
      tax: 2274n,
      taxIncluded: 2274n,
      total: 13100n,
    });
    expect(summarizeTaxes(priced.lines)[0]).toMatchObject({ netAmount: 10826n, amount: 2274n });
  });

  it("credits a downgrade with its tax: the negative total, tax included, goes to the balance", async () => {
    const priced = await price(atRate("21", false), [
      line({ kind: "proration", amount: -5161n, proration: true }),
      line({ kind: "proration", amount: 2065n, proration: true }),
    ]);
    // −5161 × 0.21 = −1083.81 → −1084; 2065 × 0.21 = 433.65 → 434.
    expect(priced.totals).toMatchObject({
      subtotal: -3096n,
      tax: -650n,
      total: -3746n,
      creditedToBalance: 3746n,
      amountDue: 0n,
    });
  });

  it("applies the credit balance to the total with its tax", async () => {
    const priced = await price(atRate("10.5", false), [line({ amount: 10000n })], {
      balanceAvailable: 3000n,
    });
    expect(priced.totals).toMatchObject({
      tax: 1050n,
      total: 11050n,
      balanceApplied: 3000n,
      amountDue: 8050n,
    });
  });

  it("refuses a calculator that does not answer one tax per line", async () => {
    const broken: TaxCalculator = { calculate: async () => ({ lines: [], reverseCharge: false }) };
    await expect(price(broken, [line({ amount: 100n })])).rejects.toThrow(
      /0 line taxes for 1 lines/,
    );
  });
});
