import { daysInMonth } from "./days-in-month.ts";
import { type Interval, isInterval } from "./interval.ts";
import { requireValidDate } from "./require-valid-date.ts";
import { TimeError } from "./time-error.ts";

/**
 * The instant `count` intervals after `anchor` (before it when `count` is negative), in UTC.
 * It keeps the anchor's day of month and time of day, clamped to the last day of shorter months.
 * The clamp is always relative to the ORIGINAL anchor, so compute period n as
 * `addInterval({ anchor, interval, count: n })`, never by stepping from the previous end:
 * anchor 31 Jan → 29 Feb (2024) → 31 Mar → 30 Apr → 31 May; 29 Feb 2024 + 1 year → 28 Feb 2025,
 * + 4 years → 29 Feb 2028.
 */
export function addInterval({
  anchor,
  interval,
  count,
}: {
  anchor: Date;
  interval: Interval;
  count: number;
}): Date {
  requireValidDate({ name: "anchor", value: anchor });
  if (!isInterval(interval)) {
    throw new TimeError(`interval must be "month" or "year", got ${JSON.stringify(interval)}.`);
  }
  if (!Number.isSafeInteger(count)) {
    throw new TimeError(`count must be a whole number of intervals, got ${count}.`);
  }
  const monthIndex = anchor.getUTCMonth() + count * (interval === "year" ? 12 : 1);
  const year = anchor.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth({ year, month }));
  const result = new Date(anchor.getTime());
  // setUTCFullYear (unlike Date.UTC) treats years 0–99 literally; it sets year, month and day together
  // so no intermediate date overflows into the next month.
  result.setUTCFullYear(year, month, day);
  return result;
}
