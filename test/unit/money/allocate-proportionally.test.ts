import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateProportionally, MoneyError } from "../../../src/money/index.ts";

describe("allocateProportionally", () => {
  it("shares a discount over lines in proportion, the leftover unit to the largest remainder", () => {
    // 750 over 4000, 500, 3000: exact 400, 50, 300.
    expect(allocateProportionally({ total: 750n, weights: [4000n, 500n, 3000n] })).toEqual([
      400n,
      50n,
      300n,
    ]);
    // 100 over three equal lines: 33.33 each, the first takes the extra unit.
    expect(allocateProportionally({ total: 100n, weights: [1n, 1n, 1n] })).toEqual([34n, 33n, 33n]);
    // 5 over 1 and 2: exact 1.67 and 3.33 → 2 and 3.
    expect(allocateProportionally({ total: 5n, weights: [1n, 2n] })).toEqual([2n, 3n]);
    expect(allocateProportionally({ total: 0n, weights: [0n, 0n] })).toEqual([0n, 0n]);
  });

  it("refuses negative amounts and a positive total over zero weights", () => {
    expect(() => allocateProportionally({ total: -1n, weights: [1n] })).toThrow(MoneyError);
    expect(() => allocateProportionally({ total: 1n, weights: [-1n, 2n] })).toThrow(MoneyError);
    expect(() => allocateProportionally({ total: 1n, weights: [0n] })).toThrow(MoneyError);
  });

  it("always adds up to the total, each part within one unit of its exact share", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 12 }),
        (total, weights) => {
          fc.pre(weights.some((weight) => weight > 0n));
          const parts = allocateProportionally({ total, weights });
          expect(parts.reduce((sum, part) => sum + part, 0n)).toBe(total);
          const sum = weights.reduce((accumulated, weight) => accumulated + weight, 0n);
          parts.forEach((part, index) => {
            const exactTimesSum = total * (weights[index] ?? 0n);
            expect(part * sum >= exactTimesSum - sum).toBe(true);
            expect(part * sum <= exactTimesSum + sum).toBe(true);
          });
        },
      ),
    );
  });
});
