import { MoneyError } from "./money-error.ts";

const integerPattern = /^-?(0|[1-9][0-9]*)$/;

/**
 * Converts an amount that is already in minor units (cents for USD, pesos for CLP) to a `bigint`.
 * Accepts a safe integer number, a bigint, or a string of decimal digits (as PostgreSQL returns
 * `bigint` columns). Anything fractional, non-finite, unsafe or malformed is a `MoneyError`.
 */
export function toMinor(value: number | bigint | string): bigint {
  if (typeof value === "bigint") {
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new MoneyError(
        `Amount ${value} is not a safe integer number of minor units; pass whole minor units (e.g. 1999 for $19.99), or a string or bigint for larger amounts.`,
      );
    }
    return BigInt(value);
  }
  if (typeof value === "string") {
    if (!integerPattern.test(value)) {
      throw new MoneyError(
        `Amount ${JSON.stringify(value)} is not an integer number of minor units; use only digits with an optional leading "-" (e.g. "1999" for $19.99).`,
      );
    }
    return BigInt(value);
  }
  throw new MoneyError(
    `Amount must be a number, bigint or string of minor units, got ${typeof value}.`,
  );
}
