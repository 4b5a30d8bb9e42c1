import { MoneyError } from "./money-error.ts";
import { multiplyRatio } from "./multiply-ratio.ts";

export type PercentOfInput =
  | { amount: bigint; percent: number; basisPoints?: never }
  | { amount: bigint; basisPoints: number; percent?: never };

/**
 * A percentage of an amount, rounded half away from zero: `percentOf({ amount: 1999n, percent: 15 })`
 * is 300n (299.85 rounded). `percent` is an integer 0–100; for finer rates pass `basisPoints`
 * (an integer 0–10000, 1 basis point = 0.01%).
 */
export function percentOf(input: PercentOfInput): bigint {
  const { amount, percent, basisPoints } = input;
  if (percent !== undefined && basisPoints !== undefined) {
    throw new MoneyError("Pass either percent or basisPoints to percentOf, not both.");
  }
  if (percent !== undefined) {
    requireWholeNumberInRange({ name: "percent", value: percent, maximum: 100 });
    return multiplyRatio({ amount, numerator: BigInt(percent), denominator: 100n });
  }
  if (basisPoints !== undefined) {
    requireWholeNumberInRange({ name: "basisPoints", value: basisPoints, maximum: 10_000 });
    return multiplyRatio({ amount, numerator: BigInt(basisPoints), denominator: 10_000n });
  }
  throw new MoneyError("percentOf needs percent (0–100) or basisPoints (0–10000).");
}

function requireWholeNumberInRange({
  name,
  value,
  maximum,
}: {
  name: string;
  value: number;
  maximum: number;
}): void {
  if (!Number.isInteger(value) || value < 0 || value > maximum) {
    throw new MoneyError(`${name} must be a whole number from 0 to ${maximum}, got ${value}.`);
  }
}
