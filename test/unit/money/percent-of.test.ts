import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MoneyError, percentOf } from "../../../src/money/index.ts";

describe("percentOf", () => {
  it.each([
    [1999n, 15, 300n], // 299.85
    [1000n, 0, 0n],
    [1000n, 100, 1000n],
    [5n, 50, 3n], // 2.5 → 3
    [-5n, 50, -3n], // -2.5 → -3
    [1n, 33, 0n], // 0.33
    [2n, 25, 1n], // 0.5 → 1
    [990n, 10, 99n],
    [9990n, 20, 1998n],
  ])("%s × %d%% = %s", (amount, percent, expected) => {
    expect(percentOf({ amount, percent })).toBe(expected);
  });

  it.each([
    [1999n, 1250, 250n], // 249.875
    [5000n, 1, 1n], // 0.5 → 1
    [-5000n, 1, -1n],
    [12345n, 10_000, 12345n],
    [12345n, 0, 0n],
  ])("%s × %d basis points = %s", (amount, basisPoints, expected) => {
    expect(percentOf({ amount, basisPoints })).toBe(expected);
  });

  it.each([101, -1, 12.5, Number.NaN])("refuses percent %d", (percent) => {
    expect(() => percentOf({ amount: 100n, percent })).toThrow(MoneyError);
    expect(() => percentOf({ amount: 100n, percent })).toThrow(/0 to 100/);
  });

  it.each([10_001, -1, 0.5])("refuses basisPoints %d", (basisPoints) => {
    expect(() => percentOf({ amount: 100n, basisPoints })).toThrow(/0 to 10000/);
  });

  it("needs exactly one of percent and basisPoints", () => {
    expect(() => percentOf({ amount: 100n, percent: 1, basisPoints: 100 } as never)).toThrow(
      /not both/,
    );
    expect(() => percentOf({ amount: 100n } as never)).toThrow(MoneyError);
  });

  it("property: a percent equals a hundred times as many basis points", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 0, max: 100 }),
        (amount, percent) => {
          expect(percentOf({ amount, percent })).toBe(
            percentOf({ amount, basisPoints: percent * 100 }),
          );
        },
      ),
    );
  });

  it("property: a discount and its complement add up to the amount except for at most one unit", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 100 }),
        (amount, percent) => {
          const part = percentOf({ amount, percent });
          const rest = percentOf({ amount, percent: 100 - percent });
          const difference = part + rest - amount;
          expect(difference >= 0n && difference <= 1n).toBe(true);
        },
      ),
    );
  });
});
