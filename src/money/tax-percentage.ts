import { MoneyError } from "./money-error.ts";

/**
 * A tax percentage held exactly, as a whole number of ten-thousandths of a percent: "21" is 210000n,
 * "10.5" is 105000n, "8.8750" is 88750n. Tax rates are written as decimal strings with up to four
 * decimals and never pass through a float.
 */
export type TaxPercentage = bigint;

/** 100% in ten-thousandths of a percent. */
export const wholePercentage: TaxPercentage = 1_000_000n;

const percentagePattern = /^([0-9]{1,3})(?:\.([0-9]{1,4}))?$/;

/**
 * "21" → 210000n; "10.5" → 105000n; "0" → 0n; "21.0000" (as PostgreSQL returns `numeric(7,4)`) → 210000n.
 * At most four decimals, from 0 to 100; anything else (a sign, exponent notation, a comma) is a `MoneyError`.
 */
export function parseTaxPercentage(text: string): TaxPercentage {
  const match = typeof text === "string" ? percentagePattern.exec(text) : null;
  if (!match) {
    throw new MoneyError(
      `A tax percentage must be a decimal number from 0 to 100 with at most 4 decimals, written with a point, such as "21" or "10.5"; got ${JSON.stringify(text)}.`,
    );
  }
  const [, whole = "0", fraction = ""] = match;
  const value = BigInt(whole) * 10_000n + BigInt(fraction.padEnd(4, "0"));
  if (value > wholePercentage) {
    throw new MoneyError(`A tax percentage must be at most 100; got ${JSON.stringify(text)}.`);
  }
  return value;
}

/** The shortest exact decimal form: 210000n → "21", 105000n → "10.5", 88750n → "8.875". */
export function formatTaxPercentage(percentage: TaxPercentage): string {
  const whole = percentage / 10_000n;
  const fraction = (percentage % 10_000n).toString().padStart(4, "0").replace(/0+$/, "");
  return fraction === "" ? whole.toString() : `${whole}.${fraction}`;
}
