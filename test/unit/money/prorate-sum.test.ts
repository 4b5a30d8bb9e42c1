import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MoneyError, prorate, prorateSum, prorationFraction } from "../../../src/money/index.ts";

const january = (day: number) => new Date(Date.UTC(2026, 0, day));

describe("prorateSum", () => {
  it("values charges each over its own period, rounded once", () => {
    // On 20 January: 10000 for all of January (12/31 left), −5161 and +2065 for 16–31 January (12/16
    // left): 3870.97 − 3870.75 + 1548.75 = 1548.97 → 1549 (per-part rounding would give 1548).
    const left = (start: Date) =>
      prorationFraction({ periodStart: start, periodEnd: january(32), now: january(20) });
    expect(
      prorateSum({
        parts: [
          { amount: 10000n, fraction: left(january(1)) },
          { amount: -5161n, fraction: left(january(16)) },
          { amount: 2065n, fraction: left(january(16)) },
        ],
      }),
    ).toBe(1549n);
  });

  it("takes a share of the sum (2 of 5 seats)", () => {
    const half = { numerator: 1n, denominator: 2n };
    expect(
      prorateSum({
        parts: [{ amount: 7500n, fraction: half }],
        share: { numerator: 2n, denominator: 5n },
      }),
    ).toBe(1500n);
    expect(prorateSum({ parts: [] })).toBe(0n);
  });

  it("refuses a share or fraction outside [0, 1]", () => {
    const whole = { numerator: 1n, denominator: 1n };
    expect(() =>
      prorateSum({
        parts: [{ amount: 1n, fraction: whole }],
        share: { numerator: 3n, denominator: 2n },
      }),
    ).toThrow(MoneyError);
    expect(() =>
      prorateSum({ parts: [{ amount: 1n, fraction: { numerator: 1n, denominator: 0n } }] }),
    ).toThrow(MoneyError);
  });

  it("is prorate for a single charge, and never more than the charges for a share", () => {
    const fraction = fc
      .tuple(fc.bigInt({ min: 1n, max: 40_000_000n }), fc.bigInt({ min: 0n, max: 40_000_000n }))
      .map(([denominator, numerator]) => ({
        numerator: numerator > denominator ? denominator : numerator,
        denominator,
      }));
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fraction, (amount, part) => {
        expect(prorateSum({ parts: [{ amount, fraction: part }] })).toBe(
          prorate({ unitAmount: amount, quantity: 1, fraction: part }),
        );
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fraction), { maxLength: 6 }),
        (charges) => {
          const total = charges.reduce((sum, [amount]) => sum + amount, 0n);
          const value = prorateSum({
            parts: charges.map(([amount, part]) => ({ amount, fraction: part })),
          });
          expect(value >= 0n && value <= total).toBe(true);
        },
      ),
    );
  });
});
