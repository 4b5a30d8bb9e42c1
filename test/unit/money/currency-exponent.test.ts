import { describe, expect, it } from "vitest";
import {
  currencyExponent,
  isSupportedCurrency,
  MoneyError,
  requireSupportedCurrency,
} from "../../../src/money/index.ts";

describe("currencyExponent", () => {
  it.each([
    ["USD", 2],
    ["EUR", 2],
    ["MXN", 2],
    ["CLP", 0],
    ["JPY", 0],
    ["KRW", 0],
    ["KWD", 3],
    ["BHD", 3],
  ])("%s has %d decimal digits", (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });

  it("returns the same answer when asked again (cached)", () => {
    expect(currencyExponent("CLP")).toBe(0);
    expect(currencyExponent("CLP")).toBe(0);
    expect(currencyExponent("USD")).toBe(2);
  });

  it("tells the caller to upper-case a lower-case code", () => {
    expect(() => currencyExponent("usd")).toThrow(MoneyError);
    expect(() => currencyExponent("usd")).toThrow('use "USD"');
    expect(() => currencyExponent(" clp ")).toThrow('use "CLP"');
  });

  it.each(["XXX", "XAU", "ABC", "US", "USDD", "", "U$D", "12A"])(
    "rejects %j as not a supported ISO 4217 code",
    (currency) => {
      expect(() => currencyExponent(currency)).toThrow(MoneyError);
      expect(() => currencyExponent(currency)).toThrow(/ISO 4217/);
    },
  );

  it("rejects a non-string currency from an untyped caller", () => {
    expect(() => currencyExponent(840 as never)).toThrow(MoneyError);
  });
});

describe("isSupportedCurrency", () => {
  it.each(["USD", "EUR", "CLP", "JPY", "KWD", "GBP", "BRL"])("accepts %s", (currency) => {
    expect(isSupportedCurrency(currency)).toBe(true);
  });

  it.each(["usd", "Usd", "XXX", "ABC", "US", "USDD", "", " USD", null, 840])(
    "refuses %j",
    (currency) => {
      expect(isSupportedCurrency(currency as string)).toBe(false);
    },
  );
});

describe("requireSupportedCurrency", () => {
  it("passes silently for a supported code and throws for another", () => {
    expect(() => requireSupportedCurrency("CLP")).not.toThrow();
    expect(() => requireSupportedCurrency("ZZZ")).toThrow(MoneyError);
  });
});
