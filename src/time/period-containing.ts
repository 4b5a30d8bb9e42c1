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
  // The calendar estimate is at most one interval off (day and time of day are ignored); correct it.
  let count = Math.max(0, Math.floor(monthsApart / (interval === "year" ? 12 : 1)));
  while (count > 0 && addInterval({ anchor, interval, count }).getTime() > at.getTime()) {
    count -= 1;
  }
  while (addInterval({ anchor, interval, count: count + 1 }).getTime() <= at.getTime()) {
    count += 1;
  }
  return {
    start: addInterval({ anchor, interval, count }),
    end: addInterval({ anchor, interval, count: count + 1 }),
  };
}
