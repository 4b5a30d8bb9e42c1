import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MoneyError, multiplyRatio } from "../../../src/money/index.ts";

const absolute = (value: bigint) => (value < 0n ? -value : value);

describe("multiplyRatio", () => {
  it.each([
    [1000n, 1n, 3n, 333n], // 333.33
    [1000n, 2n, 3n, 667n], // 666.67
    [-1000n, 2n, 3n, -667n],
    [1n, 1n, 2n, 1n], // 0.5 → 1
    [-1n, 1n, 2n, -1n], // -0.5 → -1
    [3n, 1n, 2n, 2n], // 1.5 → 2
    [1999n, 15n, 100n, 300n], // 299.85
    [9990n, 17n, 31n, 5478n], // 5478.39
    [100n, 0n, 7n, 0n],
    [100n, 7n, 7n, 100n],
    [100n, 3n, -4n, -75n],
  ])("%s × %s / %s = %s", (amount, numerator, denominator, expected) => {
    expect(multiplyRatio({ amount, numerator, denominator })).toBe(expected);
  });

  it("rounds once, after the multiplication (not amount / denominator first)", () => {
    // Rounding 5 / 10 first would give 1 × 3 = 3; the exact 15 / 10 = 1.5 rounds to 2.
    expect(multiplyRatio({ amount: 5n, numerator: 3n, denominator: 10n })).toBe(2n);
  });

  it("is exact for amounts and ratios whose product exceeds 2^53", () => {
    expect(
      multiplyRatio({
        amount: 9_007_199_254_740_993n,
        numerator: 31_536_000n,
        denominator: 31_536_000n,
      }),
    ).toBe(9_007_199_254_740_993n);
    expect(
      multiplyRatio({
        amount: 123_456_789_012_345n,
        numerator: 2_591_999n,
        denominator: 2_592_000n,
      }),
    ).toBe(123_456_741_382_411n); // 319999873663209227655 / 2592000 = 123456741382410.967…
  });

  it("refuses a zero denominator and non-bigint amounts", () => {
    expect(() => multiplyRatio({ amount: 1n, numerator: 1n, denominator: 0n })).toThrow(MoneyError);
    expect(() => multiplyRatio({ amount: 1.5 as never, numerator: 1n, denominator: 2n })).toThrow(
      MoneyError,
    );
  });

  it("property (c): the result is an integer within half a unit of the exact value, ties away from zero", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
        fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }).filter((value) => value !== 0n),
        (amount, numerator, denominator) => {
          const result = multiplyRatio({ amount, numerator, denominator });
          expect(typeof result).toBe("bigint");
          const exact = amount * numerator; // the value is exact / denominator
          const twiceError = 2n * absolute(result * denominator - exact);
          expect(twiceError <= absolute(denominator)).toBe(true);
          if (twiceError === absolute(denominator)) {
            expect(absolute(result * denominator) > absolute(exact)).toBe(true);
          }
        },
      ),
    );
  });

  it("property (c): exact ties are decided away from zero", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (whole, halfDenominator) => {
          // amount × 1 / (2h) with amount = (2·whole + 1)·h is exactly whole + 0.5.
          const denominator = 2n * halfDenominator;
          const amount = (2n * whole + 1n) * halfDenominator;
          const expected = whole >= 0n ? whole + 1n : whole;
          expect(multiplyRatio({ amount, numerator: 1n, denominator })).toBe(expected);
        },
      ),
    );
  });
});
