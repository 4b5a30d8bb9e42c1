import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatTaxPercentage,
  MoneyError,
  parseTaxPercentage,
  taxAmount,
} from "../../../src/money/index.ts";

describe("parseTaxPercentage / formatTaxPercentage", () => {
  it.each([
    ["21", 210000n, "21"],
    ["10.5", 105000n, "10.5"],
    ["0", 0n, "0"],
    ["100", 1000000n, "100"],
    ["8.875", 88750n, "8.875"],
    ["21.0000", 210000n, "21"], // as PostgreSQL returns numeric(7,4)
    ["0.0001", 1n, "0.0001"],
  ])("%s is %s ten-thousandths, written back as %s", (text, value, written) => {
    expect(parseTaxPercentage(text)).toBe(value);
    expect(formatTaxPercentage(value)).toBe(written);
  });

  it.each(["-1", "100.0001", "101", "1e2", "21,5", "21.12345", " 21", "", ".5", "abc"])(
    "refuses %j",
    (text) => {
      expect(() => parseTaxPercentage(text)).toThrow(MoneyError);
    },
  );
});

describe("taxAmount", () => {
  it.each([
    // amount, percentage, inclusive, tax: the arithmetic in the comment
    [9000n, "21", false, 1890n], // 9000 × 0.21 = 1890
    [10000n, "21", false, 2100n],
    [12100n, "21", true, 2100n], // 12100 × 21/121 = 2100
    [1000n, "21", true, 174n], // 1000 × 21/121 = 173.55 → 174
    [1n, "50", false, 1n], // 0.5 → 1 (half away from zero)
    [-1n, "50", false, -1n], // −0.5 → −1
    [3333n, "10.5", false, 350n], // 349.965 → 350
    [-5161n, "21", false, -1084n], // −1083.81 → −1084
    [5161n, "21", false, 1084n],
    [1999n, "16", true, 276n], // 1999 × 16/116 = 275.72 → 276
    [0n, "21", false, 0n],
    [1000n, "0", true, 0n],
  ])("%s at %s%% (inclusive: %s) → %s", (amount, percentage, inclusive, expected) => {
    expect(taxAmount({ amount, percentage: parseTaxPercentage(percentage), inclusive })).toBe(
      expected,
    );
  });

  it("is symmetric: a credit's tax is the negation of the same charge's", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        fc.boolean(),
        (amount, percentage, inclusive) => {
          expect(taxAmount({ amount: -amount, percentage, inclusive })).toBe(
            -taxAmount({ amount, percentage, inclusive }),
          );
        },
      ),
    );
  });

  it("extracts an inclusive tax so that net + tax re-adds exactly to the amount, within one minor unit of the exclusive tax on the net", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        (amount, percentage) => {
          const tax = taxAmount({ amount, percentage, inclusive: true });
          const net = amount - tax;
          const onNet = taxAmount({ amount: net, percentage, inclusive: false });
          expect(net + tax).toBe(amount);
          expect(onNet - tax <= 1n && tax - onNet <= 1n).toBe(true);
        },
      ),
    );
  });
});
