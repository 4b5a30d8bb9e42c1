import { describe, expect, it } from "vitest";
import { MoneyError, toMinor, toNumber } from "../../../src/money/index.ts";

describe("toMinor", () => {
  it.each([
    [1999, 1999n],
    [0, 0n],
    [-5, -5n],
    [Number.MAX_SAFE_INTEGER, 9007199254740991n],
    [Number.MIN_SAFE_INTEGER, -9007199254740991n],
    ["1999", 1999n],
    ["0", 0n],
    ["-42", -42n],
    ["123456789012345678901234567890", 123456789012345678901234567890n],
    [77n, 77n],
    [-123456789012345678901234567890n, -123456789012345678901234567890n],
  ] as const)("converts %s to %s", (value, expected) => {
    expect(toMinor(value)).toBe(expected);
  });

  it.each([
    19.99,
    0.5,
    -1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    -(2 ** 53),
  ])("rejects the number %d", (value) => {
    expect(() => toMinor(value)).toThrow(MoneyError);
    expect(() => toMinor(value)).toThrow(/minor units/);
  });

  it.each(["19.99", "1e3", "", " 12", "12 ", "+5", "0x10", "12abc", "01", "-", "1_000", "١٢"])(
    "rejects the string %j",
    (value) => {
      expect(() => toMinor(value)).toThrow(MoneyError);
      expect(() => toMinor(value)).toThrow(/digits/);
    },
  );

  it("rejects values of other types coming from untyped callers", () => {
    expect(() => toMinor(null as never)).toThrow(MoneyError);
    expect(() => toMinor(undefined as never)).toThrow(MoneyError);
    expect(() => toMinor({} as never)).toThrow(MoneyError);
  });

  it("throws an error that is typed and named MoneyError", () => {
    let caught: unknown;
    try {
      toMinor(1.5);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MoneyError);
    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).name).toBe("MoneyError");
    expect((caught as Error).message).toContain("1999 for $19.99");
  });
});

describe("toNumber", () => {
  it.each([
    [0n, 0],
    [1999n, 1999],
    [-1999n, -1999],
    [9007199254740991n, Number.MAX_SAFE_INTEGER],
    [-9007199254740991n, Number.MIN_SAFE_INTEGER],
  ])("converts %s to %d", (amount, expected) => {
    expect(toNumber(amount)).toBe(expected);
  });

  it.each([9007199254740992n, -9007199254740992n, 10n ** 30n])(
    "refuses %s, which a number cannot hold exactly",
    (amount) => {
      expect(() => toNumber(amount)).toThrow(MoneyError);
      expect(() => toNumber(amount)).toThrow(/as a string/);
    },
  );

  it("refuses a value that is not a bigint", () => {
    expect(() => toNumber(5 as never)).toThrow(MoneyError);
  });
});
