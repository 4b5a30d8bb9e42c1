import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMoney, MoneyError, toDecimalString } from "../../../src/money/index.ts";

/** ICU (Node 20, ICU 78 here) separates the symbol from the number with a no-break space in "es". */
const noBreakSpace = "\u00a0";

describe("formatMoney", () => {
  it.each([
    [123456n, "USD", "en", "$1,234.56"],
    [123456n, "USD", "es", `1234,56${noBreakSpace}US$`],
    [-123456n, "USD", "en", "-$1,234.56"],
    [-123456n, "USD", "es", `-1234,56${noBreakSpace}US$`],
    [5n, "USD", "en", "$0.05"],
    [-5n, "USD", "es", `-0,05${noBreakSpace}US$`],
    [0n, "USD", "en", "$0.00"],
    [100000000n, "USD", "en", "$1,000,000.00"],
    [123456n, "EUR", "es", `1234,56${noBreakSpace}€`],
    [123456n, "EUR", "en", "€1,234.56"],
    [5000n, "CLP", "en", `CLP${noBreakSpace}5,000`],
    [5000n, "CLP", "es", `5000${noBreakSpace}CLP`],
    [1234567n, "CLP", "es", `1.234.567${noBreakSpace}CLP`],
    [1234n, "KWD", "en", `KWD${noBreakSpace}1.234`],
    [1500n, "JPY", "en", "¥1,500"],
  ] as const)("%s %s in %s is %j", (amount, currency, locale, expected) => {
    expect(formatMoney({ amount, currency, locale })).toBe(expected);
  });

  it("shows no decimals for CLP", () => {
    for (const locale of ["en", "es"] as const) {
      const formatted = formatMoney({ amount: 5000n, currency: "CLP", locale });
      expect(formatted).not.toMatch(/[.,]\d{1,2}(\D|$)/);
      expect(formatted).toContain("5");
    }
  });

  it("formats amounts beyond float precision exactly (no float ever holds them)", () => {
    expect(formatMoney({ amount: 12345678901234567890123n, currency: "USD", locale: "en" })).toBe(
      "$123,456,789,012,345,678,901.23",
    );
    expect(formatMoney({ amount: 9007199254740993n, currency: "USD", locale: "en" })).toBe(
      "$90,071,992,547,409.93",
    );
  });

  it("refuses an unsupported locale or currency", () => {
    expect(() => formatMoney({ amount: 1n, currency: "USD", locale: "fr" as never })).toThrow(
      /use "en" or "es"/,
    );
    expect(() => formatMoney({ amount: 1n, currency: "usd", locale: "en" })).toThrow(MoneyError);
    expect(() => formatMoney({ amount: 1n, currency: "XXX", locale: "en" })).toThrow(/ISO 4217/);
  });

  it("refuses a number amount", () => {
    expect(() => formatMoney({ amount: 1.5 as never, currency: "USD", locale: "en" })).toThrow(
      MoneyError,
    );
  });
});

describe("toDecimalString", () => {
  it.each([
    [123456n, "USD", "1234.56"],
    [-5n, "USD", "-0.05"],
    [-100n, "USD", "-1.00"],
    [0n, "USD", "0.00"],
    [7n, "USD", "0.07"],
    [5000n, "CLP", "5000"],
    [-5000n, "CLP", "-5000"],
    [0n, "CLP", "0"],
    [1234n, "KWD", "1.234"],
    [7n, "KWD", "0.007"],
    [12345678901234567890123n, "USD", "123456789012345678901.23"],
  ])("%s %s is %j", (amount, currency, expected) => {
    expect(toDecimalString({ amount, currency })).toBe(expected);
  });

  it("property: removing the decimal point gives back the amount", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.constantFrom("USD", "CLP", "KWD", "JPY", "EUR"),
        (amount, currency) => {
          const decimal = toDecimalString({ amount, currency });
          expect(decimal).toMatch(/^-?(0|[1-9]\d*)(\.\d+)?$/);
          expect(BigInt(decimal.replace(".", ""))).toBe(amount);
        },
      ),
    );
  });
});
