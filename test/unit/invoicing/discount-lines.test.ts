import { describe, expect, it } from "vitest";
import {
  computeInvoiceTotals,
  type DraftLine,
  discountLines,
} from "../../../src/invoicing/compute-invoice-totals.ts";

const line = (amount: bigint, extra: Partial<DraftLine> = {}): DraftLine => ({
  kind: "plan",
  description: "line",
  amount,
  quantity: 1n,
  unitAmount: amount,
  proration: false,
  periodStart: null,
  periodEnd: null,
  ...extra,
});

describe("discountLines", () => {
  it("shares the coupon over full charges in proportion; prorated lines keep what they carry", () => {
    const lines = [
      line(-375n, { kind: "proration", proration: true, discount: 0n }),
      line(4000n),
      line(3000n, { kind: "addon" }),
      line(1000n, { kind: "proration", proration: true, discount: 250n }),
      line(2032n, { kind: "pending_item", proration: true }),
    ];
    const discounted = discountLines({ lines, coupon: { percentOff: 10, amountOff: null } });
    // 10% of the 7000 of full charges is 700: 400 and 300.
    expect(discounted.map((entry) => entry.discount)).toEqual([0n, 400n, 300n, 250n, 0n]);
    const totals = computeInvoiceTotals({
      kind: "subscription",
      lines,
      coupon: { percentOff: 10, amountOff: null },
      balanceAvailable: 0n,
    });
    expect(totals).toMatchObject({ subtotal: 9657n, discount: 950n, total: 8707n });
    // Discounted lines give the same totals again (the discount is not taken twice).
    expect(
      computeInvoiceTotals({
        kind: "subscription",
        lines: discounted,
        coupon: { percentOff: 10, amountOff: null },
        balanceAvailable: 0n,
      }),
    ).toEqual(totals);
  });

  it("an amount off is capped at the full charges and shared with the leftover unit", () => {
    const discounted = discountLines({
      lines: [line(100n), line(100n), line(100n)],
      coupon: { percentOff: null, amountOff: 500n },
    });
    expect(discounted.map((entry) => entry.discount)).toEqual([100n, 100n, 100n]);
    const shared = discountLines({
      lines: [line(100n), line(100n), line(100n)],
      coupon: { percentOff: null, amountOff: 100n },
    });
    expect(shared.map((entry) => entry.discount)).toEqual([34n, 33n, 33n]);
  });
});
