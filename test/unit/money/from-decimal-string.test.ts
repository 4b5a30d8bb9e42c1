import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromDecimalString, MoneyError, toDecimalString } from "../../../src/money/index.ts";

describe("fromDecimalString", () => {
  it("reads major units exactly with each currency's exponent", () => {
    expect(fromDecimalString({ text: "19.99", currency: "USD" })).toBe(1999n);
    expect(fromDecimalString({ text: "10.5", currency: "ARS" })).toBe(1050n);
    expect(fromDecimalString({ text: "15990", currency: "CLP" })).toBe(15990n);
    expect(fromDecimalString({ text: "1.234", currency: "KWD" })).toBe(1234n);
    expect(fromDecimalString({ text: "-0.05", currency: "USD" })).toBe(-5n);
    expect(fromDecimalString({ text: "19.990", currency: "USD" })).toBe(1999n);
    expect(fromDecimalString({ text: "99999999999999999.99", currency: "USD" })).toBe(
      9999999999999999999n,
    );
  });

  it("refuses more precision than the currency has, exponents and stray characters", () => {
    for (const [text, currency] of [
      ["19.999", "USD"],
      ["1.5", "CLP"],
      ["1e3", "USD"],
      ["12,50", "EUR"],
      ["", "USD"],
      [" 1", "USD"],
    ] as const) {
      expect(() => fromDecimalString({ text, currency })).toThrow(MoneyError);
    }
  });

  it("is the inverse of toDecimalString", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.constantFrom("USD", "CLP", "KWD", "JPY", "ARS"),
        (amount, currency) => {
          const text = toDecimalString({ amount, currency });
          expect(fromDecimalString({ text, currency })).toBe(amount);
        },
      ),
    );
  });
});
