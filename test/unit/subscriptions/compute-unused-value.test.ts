import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeItemProration } from "../../../src/subscriptions/compute-item-proration.ts";
import {
  computeUnusedValue,
  type PeriodCharge,
} from "../../../src/subscriptions/compute-unused-value.ts";
import { proratedChargeDiscount } from "../../../src/subscriptions/prorated-charge-discount.ts";

const at = (text: string) => new Date(text);
const january = { start: at("2026-01-01T00:00:00Z"), end: at("2026-02-01T00:00:00Z") };
const charge = (amount: bigint, discount: bigint, start = january.start): PeriodCharge => ({
  amount,
  discount,
  periodStart: start,
  periodEnd: january.end,
});

describe("computeUnusedValue", () => {
  it("is the unused share of what was paid: nothing for a 100% discount, 75% under 25% off", () => {
    const mid = at("2026-01-16T12:00:00Z");
    expect(computeUnusedValue({ charges: [charge(2000n, 2000n)], now: mid })).toEqual({
      value: 0n,
      discount: 1000n,
    });
    expect(computeUnusedValue({ charges: [charge(1000n, 250n)], now: mid })).toEqual({
      value: 375n,
      discount: 125n,
    });
    expect(computeUnusedValue({ charges: [], now: mid })).toEqual({ value: 0n, discount: 0n });
  });

  it("counts credits already given, and takes a share for some of the units", () => {
    // 10 seats billed 15000 for January; 4 removed on the 16th at noon were credited 3000.
    const charges = [charge(15000n, 0n), charge(-3000n, 0n, at("2026-01-16T12:00:00Z"))];
    // On the 24th at noon, a quarter of January is left: 3750 − 1500 = 2250 for the 6 seats left.
    const now = at("2026-01-24T06:00:00Z");
    expect(computeUnusedValue({ charges, now }).value).toBe(2250n);
    expect(
      computeUnusedValue({ charges, now, share: { numerator: 2n, denominator: 6n } }).value,
    ).toBe(750n);
  });

  it("never gives back more than was paid, however often it is asked", () => {
    const instant = fc.integer({ min: Date.parse("2026-01-01"), max: Date.parse("2026-02-01") });
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(instant, { minLength: 1, maxLength: 6 }),
        (amount, percent, instants) => {
          const discount = (amount * BigInt(percent)) / 100n;
          const charges: PeriodCharge[] = [charge(amount, discount)];
          let credited = 0n;
          // Credit the whole unused value at each instant, recording each credit as a charge of its own.
          for (const time of [...instants].sort((a, b) => a - b)) {
            const now = new Date(time);
            const { value } = computeUnusedValue({ charges, now });
            credited += value;
            charges.push({
              amount: -value,
              discount: 0n,
              periodStart: now,
              periodEnd: january.end,
            });
          }
          expect(credited <= amount - discount).toBe(true);
        },
      ),
    );
  });
});

describe("computeItemProration", () => {
  const base = {
    unitAmount: 1500n,
    period: january,
    anchor: january.start,
    interval: "month" as const,
    now: at("2026-01-16T12:00:00Z"),
  };

  it("charges added seats for the rest of the period, under the coupon in force", () => {
    expect(
      computeItemProration({
        ...base,
        previous: 0n,
        target: 2n,
        charges: [],
        coupon: { percentOff: 25, amountOff: null },
      }),
    ).toEqual({ amount: 1500n, discount: 375n });
    // An amount off was taken from the invoice that started the period: nothing more comes off.
    expect(
      computeItemProration({
        ...base,
        previous: 0n,
        target: 2n,
        charges: [],
        coupon: { percentOff: null, amountOff: 500n },
      }),
    ).toEqual({ amount: 1500n, discount: 0n });
  });

  it("credits removed seats what was paid for their unused time, nothing when they were free", () => {
    const removal = { ...base, previous: 10n, target: 0n, coupon: null };
    expect(computeItemProration({ ...removal, charges: [charge(15000n, 0n)] })).toEqual({
      amount: -7500n,
      discount: 0n,
    });
    expect(computeItemProration({ ...removal, charges: [charge(15000n, 15000n)] })).toBeNull();
    expect(
      computeItemProration({ ...removal, target: 6n, charges: [charge(15000n, 3750n)] }),
    ).toEqual({ amount: -2250n, discount: 0n });
  });

  it('docs/billing.md "Add-ons": 2 seats billed 3000 for March, removed on the 15th', () => {
    const march = { start: at("2026-03-01T00:00:00Z"), end: at("2026-04-01T00:00:00Z") };
    const billed = (discount: bigint): PeriodCharge[] => [
      { amount: 3000n, discount, periodStart: march.start, periodEnd: march.end },
    ];
    const removal = {
      ...base,
      period: march,
      anchor: march.start,
      now: at("2026-03-15T00:00:00Z"),
      previous: 2n,
      coupon: null,
    };
    expect(computeItemProration({ ...removal, target: 0n, charges: billed(0n) })?.amount).toBe(
      -1645n,
    );
    expect(computeItemProration({ ...removal, target: 0n, charges: billed(750n) })?.amount).toBe(
      -1234n,
    );
    expect(computeItemProration({ ...removal, target: 1n, charges: billed(0n) })?.amount).toBe(
      -823n,
    );
  });

  it("prices seats added in a first_of_month stub over the whole month, as the stub was", () => {
    // The stub 30 January → 1 February; on the 31st one of January's 31 days is left.
    const stub = { start: at("2026-01-30T00:00:00Z"), end: january.end };
    expect(
      computeItemProration({
        ...base,
        period: stub,
        anchor: january.end,
        now: at("2026-01-31T00:00:00Z"),
        previous: 0n,
        target: 1n,
        charges: [],
        coupon: null,
      }),
    ).toEqual({ amount: 48n, discount: 0n });
  });
});

describe("proratedChargeDiscount", () => {
  it("a percentage of the charge; an amount off only as much as the credit gave back", () => {
    expect(
      proratedChargeDiscount({
        amount: 1000n,
        coupon: { percentOff: 25, amountOff: null },
        carriedOver: 0n,
      }),
    ).toBe(250n);
    expect(
      proratedChargeDiscount({
        amount: 5000n,
        coupon: { percentOff: null, amountOff: 500n },
        carriedOver: 250n,
      }),
    ).toBe(250n);
    expect(
      proratedChargeDiscount({
        amount: 100n,
        coupon: { percentOff: null, amountOff: 500n },
        carriedOver: 250n,
      }),
    ).toBe(100n);
    expect(proratedChargeDiscount({ amount: 1000n, coupon: null, carriedOver: 250n })).toBe(0n);
  });
});
