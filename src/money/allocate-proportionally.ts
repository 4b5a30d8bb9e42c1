import { MoneyError } from "./money-error.ts";
import { requireBigint } from "./require-bigint.ts";

/**
 * Splits `total` over `weights` in proportion, in whole minor units that add up to `total` exactly
 * (largest remainder): each part is `floor(total × weight / Σ weights)`, and the units left over go one
 * each to the parts with the largest remainders, the earlier part first on a tie. An invoice's coupon
 * discount is shared over its lines this way. `total` and every weight must be ≥ 0, the weights not all 0.
 */
export function allocateProportionally({
  total,
  weights,
}: {
  total: bigint;
  weights: readonly bigint[];
}): bigint[] {
  requireBigint({ name: "total", value: total });
  for (const weight of weights) requireBigint({ name: "weight", value: weight });
  if (total < 0n || weights.some((weight) => weight < 0n)) {
    throw new MoneyError("allocateProportionally takes a total and weights that are not negative.");
  }
  const sum = weights.reduce((accumulated, weight) => accumulated + weight, 0n);
  if (sum === 0n) {
    if (total === 0n) return weights.map(() => 0n);
    throw new MoneyError(`Cannot allocate ${total} over weights that are all zero.`);
  }
  const parts = weights.map((weight) => (total * weight) / sum);
  const remainders = weights.map((weight, index) => ({ index, remainder: (total * weight) % sum }));
  let left = total - parts.reduce((accumulated, part) => accumulated + part, 0n);
  remainders.sort((a, b) =>
    a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
  );
  for (const { index } of remainders) {
    if (left === 0n) break;
    parts[index] = (parts[index] ?? 0n) + 1n;
    left -= 1n;
  }
  return parts;
}
