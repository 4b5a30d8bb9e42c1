import { MoneyError } from "./money-error.ts";
import { requireBigint } from "./require-bigint.ts";

const largestSafe = BigInt(Number.MAX_SAFE_INTEGER);
const smallestSafe = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Converts an amount in minor units to a JavaScript number for JSON output. Throws a `MoneyError` when
 * the amount is outside the safe integer range, where a number would silently lose precision.
 */
export function toNumber(amount: bigint): number {
  requireBigint({ name: "amount", value: amount });
  if (amount > largestSafe || amount < smallestSafe) {
    throw new MoneyError(
      `Amount ${amount} minor units is beyond Number.MAX_SAFE_INTEGER and cannot be sent as a JSON number without losing precision; send it as a string instead.`,
    );
  }
  return Number(amount);
}
