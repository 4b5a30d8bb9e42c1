import { TimeError } from "./time-error.ts";

/** Fails with a `TimeError` unless `value` is a Date holding a real instant (not `Invalid Date`). */
export function requireValidDate({ name, value }: { name: string; value: unknown }): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TimeError(`${name} must be a valid Date, got ${String(value)}.`);
  }
  return value;
}
