import { addInterval } from "./add-interval.ts";
import type { Interval } from "./interval.ts";
import type { Period } from "./period.ts";
import { requireValidDate } from "./require-valid-date.ts";
import { TimeError } from "./time-error.ts";

/**
 * The period `[anchor + k·interval, anchor + (k+1)·interval)` that contains `at` (k ≥ 0):
 * the start is inside its period, the end belongs to the next one. `at` before `anchor` is an error.
 */
export function periodContaining({
  anchor,
  interval,
  at,
}: {
  anchor: Date;
  interval: Interval;
  at: Date;
}): Period {
  requireValidDate({ name: "anchor", value: anchor });
  requireValidDate({ name: "at", value: at });
  if (at.getTime() < anchor.getTime()) {
    throw new TimeError(
      `at (${at.toISOString()}) is before the anchor (${anchor.toISOString()}); periods start at the anchor.`,
    );
  }
  const monthsApart =
    (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 +
    (at.getUTCMonth() - anchor.getUTCMonth());
  // Boundary k always falls in the calendar month anchor month + k intervals (clamping never leaves
  // that month), so counting calendar months gives k or k + 1: one step back corrects it.
  let count = Math.floor(monthsApart / (interval === "year" ? 12 : 1));
  if (addInterval({ anchor, interval, count }).getTime() > at.getTime()) {
    count -= 1;
  }
  return {
    start: addInterval({ anchor, interval, count }),
    end: addInterval({ anchor, interval, count: count + 1 }),
  };
}
