import { MoneyError } from "./money-error.ts";

/** The share of a period still to come, as an exact ratio of whole seconds. */
export interface ProrationFraction {
  /** Seconds from `now` to the period end, clamped to `[0, denominator]`. */
  numerator: bigint;
  /** Seconds in the whole period; always > 0. */
  denominator: bigint;
}

/**
 * `f = (periodEnd − now) / (periodEnd − periodStart)` in whole seconds (the billing rules' time basis).
 * `now` before the period start gives the full period (f = 1); at or after the end gives 0.
 * Each instant is truncated to its whole second (floor), so sub-second noise never changes a price.
 *
 * To prorate a stub period (e.g. the first `first_of_month` period) against the full period it is part
 * of, pass the full period's bounds and the stub's start as `now`.
 */
export function prorationFraction({
  periodStart,
  periodEnd,
  now,
}: {
  periodStart: Date;
  periodEnd: Date;
  now: Date;
}): ProrationFraction {
  const startSecond = toWholeSeconds({ name: "periodStart", date: periodStart });
  const endSecond = toWholeSeconds({ name: "periodEnd", date: periodEnd });
  const nowSecond = toWholeSeconds({ name: "now", date: now });
  const denominator = endSecond - startSecond;
  if (denominator <= 0n) {
    throw new MoneyError(
      `Cannot prorate over a period that is not at least one second long (${periodStart.toISOString()} to ${periodEnd.toISOString()}); periodEnd must be after periodStart.`,
    );
  }
  return { numerator: clamp({ value: endSecond - nowSecond, maximum: denominator }), denominator };
}

/** `value` limited to `[0, maximum]` (Math.min/Math.max do not accept bigint). */
function clamp({ value, maximum }: { value: bigint; maximum: bigint }): bigint {
  if (value < 0n) {
    return 0n;
  }
  if (value > maximum) {
    return maximum;
  }
  return value;
}

function toWholeSeconds({ name, date }: { name: string; date: Date }): bigint {
  const milliseconds = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(milliseconds)) {
    throw new MoneyError(`${name} must be a valid Date.`);
  }
  return BigInt(Math.floor(milliseconds / 1000));
}
