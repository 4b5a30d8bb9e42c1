import { describe, expect, it } from "vitest";
import { computeRefundLines } from "../../../src/invoicing/compute-refund-lines.ts";
import type { InvoiceLineRow } from "../../../src/invoicing/invoices.ts";
import { MoneyError } from "../../../src/money/index.ts";

function line(overrides: Partial<InvoiceLineRow>): InvoiceLineRow {
  return {
    invoiceId: "inv_1",
    organizationId: "org_1",
    position: 0,
    kind: "plan",
    description: "Pro (monthly)",
    amount: 0n,
    discount: 0n,
    addonId: null,
    quantity: 1n,
    unitAmount: 0n,
    proration: false,
    periodStart: null,
    periodEnd: null,
    taxableAmount: null,
    taxAmount: 0n,
    taxRateId: null,
    taxName: null,
    taxPercentage: null,
    taxInclusive: null,
    ...overrides,
  };
}

const iva = (inclusive: boolean) => ({
  taxRateId: "iva-21",
  taxName: "IVA",
  taxPercentage: "21",
  taxInclusive: inclusive,
});

describe("computeRefundLines", () => {
  it("reverses a tax-exclusive line and its tax in proportion: 40 % of 2500000 + 525000", () => {
    const { lines, totals } = computeRefundLines({
      lines: [
        line({ amount: 2500000n, taxableAmount: 2500000n, taxAmount: 525000n, ...iva(false) }),
      ],
      invoiceTotal: 3025000n,
      refund: 1210000n,
    });
    expect(lines.map((entry) => [entry.amount, entry.taxAmount, entry.taxableAmount])).toEqual([
      [-1000000n, -210000n, -1000000n],
    ]);
    expect(totals).toEqual({
      subtotal: -1000000n,
      tax: -210000n,
      taxIncluded: 0n,
      total: -1210000n,
    });
  });

  it("keeps a tax-inclusive line's tax inside its amount: 1000 with 174 IVA, 500 back", () => {
    // 1000 × 21/121 = 173.55… → 174 inside. Half of it: 500 back, of which 87 is IVA.
    const { lines, totals } = computeRefundLines({
      lines: [line({ amount: 1000n, taxableAmount: 1000n, taxAmount: 174n, ...iva(true) })],
      invoiceTotal: 1000n,
      refund: 500n,
    });
    expect(lines.map((entry) => [entry.amount, entry.taxAmount])).toEqual([[-500n, -87n]]);
    expect(totals).toEqual({ subtotal: -500n, tax: -87n, taxIncluded: -87n, total: -500n });
  });

  it("shares over discounted and credit lines, the rounding remainder on the largest, adding up exactly", () => {
    // An upgrade: unused −500 (already net), remaining +1250 with 125 off, and a 333 add-on: total 958.
    const source = [
      line({ kind: "proration", amount: -500n }),
      line({ kind: "proration", amount: 1250n, discount: 125n }),
      line({ kind: "addon", amount: 333n }),
    ];
    for (const refund of [1n, 100n, 479n, 957n, 958n]) {
      const { lines, totals } = computeRefundLines({ lines: source, invoiceTotal: 958n, refund });
      expect(lines.reduce((sum, entry) => sum + entry.amount, 0n)).toBe(-refund);
      expect(totals.total).toBe(-refund);
    }
    const full = computeRefundLines({ lines: source, invoiceTotal: 958n, refund: 958n });
    expect(full.lines.map((entry) => entry.amount)).toEqual([500n, -1125n, -333n]);
  });

  it("refuses a refund of nothing, of more than the total, or of an invoice that is not positive", () => {
    const lines = [line({ amount: 100n })];
    expect(() => computeRefundLines({ lines, invoiceTotal: 100n, refund: 0n })).toThrow(MoneyError);
    expect(() => computeRefundLines({ lines, invoiceTotal: 100n, refund: 101n })).toThrow(
      MoneyError,
    );
    expect(() => computeRefundLines({ lines, invoiceTotal: 0n, refund: 1n })).toThrow(MoneyError);
  });
});
