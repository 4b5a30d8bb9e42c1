import { MoneyError } from "./money-error.ts";

/** Fails with a `MoneyError` (instead of a bare TypeError later) when `value` is not a bigint. */
export function requireBigint({ name, value }: { name: string; value: unknown }): bigint {
  if (typeof value !== "bigint") {
    throw new MoneyError(
      `${name} must be a bigint in minor units, got ${typeof value} ${String(value)}; convert it with toMinor().`,
    );
  }
  return value;
}
