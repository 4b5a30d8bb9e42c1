import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { divideRounded, MoneyError } from "../../../src/money/index.ts";

const absolute = (value: bigint) => (value < 0n ? -value : value);

describe("divideRounded", () => {
  it.each([
    // Ties go away from zero.
    [25n, 10n, 3n], // 2.5
    [-25n, 10n, -3n], // -2.5
    [5n, 2n, 3n], // 2.5
    [-5n, 2n, -3n],
    [5n, -2n, -3n],
    [-5n, -2n, 3n],
    [7n, 2n, 4n], // 3.5
    [-7n, 2n, -4n],
    [1n, 2n, 1n], // 0.5
    [-1n, 2n, -1n],
    [1n, -2n, -1n],
    // Below a half goes toward zero, above a half away from it.
    [24n, 10n, 2n], // 2.4
    [-24n, 10n, -2n], // -2.4
    [26n, 10n, 3n], // 2.6
    [-26n, 10n, -3n], // -2.6
    [12n, 5n, 2n], // 2.4
    [-13n, 5n, -3n], // -2.6
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [-1n, 3n, 0n],
    [-2n, 3n, -1n],
    [2n, -3n, -1n],
    [-2n, -3n, 1n],
    // Exact divisions and zero.
    [10n, 5n, 2n],
    [-10n, 5n, -2n],
    [0n, 5n, 0n],
    [0n, -5n, 0n],
    [7n, 1n, 7n],
    [7n, -1n, -7n],
  ])("%s / %s = %s", (numerator, denominator, expected) => {
    expect(divideRounded({ numerator, denominator })).toBe(expected);
  });

  it("is exact far beyond the range of a float", () => {
    const numerator = 10n ** 40n + 5n;
    expect(divideRounded({ numerator, denominator: 10n })).toBe(10n ** 39n + 1n);
    expect(divideRounded({ numerator: -numerator, denominator: 10n })).toBe(-(10n ** 39n) - 1n);
    expect(divideRounded({ numerator: 10n ** 40n + 4n, denominator: 10n })).toBe(10n ** 39n);
  });

  it("refuses a zero denominator", () => {
    expect(() => divideRounded({ numerator: 1n, denominator: 0n })).toThrow(MoneyError);
    expect(() => divideRounded({ numerator: 1n, denominator: 0n })).toThrow(/zero/);
  });

  it("refuses numbers in place of bigints", () => {
    expect(() => divideRounded({ numerator: 5 as never, denominator: 2n })).toThrow(MoneyError);
    expect(() => divideRounded({ numerator: 5n, denominator: 2 as never })).toThrow(MoneyError);
  });

  it("property: the result is the nearest integer, ties away from zero", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).filter((value) => value !== 0n),
        (numerator, denominator) => {
          const result = divideRounded({ numerator, denominator });
          const twiceError = 2n * absolute(result * denominator - numerator);
          expect(twiceError <= absolute(denominator)).toBe(true);
          if (twiceError === absolute(denominator)) {
            // An exact tie: the result must be the candidate farther from zero.
            expect(absolute(result * denominator) > absolute(numerator)).toBe(true);
          }
        },
      ),
    );
  });

  it("property: negating the numerator or the denominator negates the result", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (numerator, denominator) => {
          const result = divideRounded({ numerator, denominator });
          expect(divideRounded({ numerator: -numerator, denominator })).toBe(-result);
          expect(divideRounded({ numerator, denominator: -denominator })).toBe(-result);
          expect(divideRounded({ numerator: -numerator, denominator: -denominator })).toBe(result);
        },
      ),
    );
  });
});
