import { addInterval } from "./add-interval.ts";
import type { BillingAnchor } from "./billing-anchor.ts";
import type { Interval } from "./interval.ts";
import type { Period } from "./period.ts";
import { requireValidDate } from "./require-valid-date.ts";
import { TimeError } from "./time-error.ts";

export interface FirstPeriod {
  /** The first period to bill: `[start, …)`. */
  period: Period;
  /**
   * The full interval the first period belongs to. Equal to `period` unless `isStub`; for a stub it ends
   * where the stub ends, so the stub's price is
   * `prorate({ fraction: prorationFraction({ periodStart: fullPeriod.start, periodEnd: fullPeriod.end, now: period.start }) })`.
   */
  fullPeriod: Period;
  /** True when the first period is shorter than a full interval and is charged prorated. */
  isStub: boolean;
  /** The anchor of every later period: `nextPeriod({ anchor, interval, period })`. */
  anchor: Date;
}

/**
 * The first billing period of a subscription starting at `start`.
 *
 * - `anniversary`: `[start, start + 1 interval)`, a full period; `start` is the anchor.
 * - `first_of_month`: a stub `[start, next 1st of a month at 00:00 UTC)` (strictly after `start`), then
 *   full periods from that 1st, which becomes the anchor. If `start` is exactly a 1st at 00:00 UTC there
 *   is no stub: the first period is a full interval from `start`.
 *   For `year` the same rule applies: the stub runs only to the next 1st of a MONTH (not to 1 January),
 *   then full years run from that 1st (e.g. start 15 Jan 2026 → stub to 1 Feb 2026, then
 *   1 Feb 2026 → 1 Feb 2027). The stub is prorated against the year that ends at the anchor, so the
 *   invoice runs on the 1st without charging up to eleven months of extra stub.
 */
export function firstPeriod({
  billingAnchor,
  interval,
  start,
}: {
  billingAnchor: BillingAnchor;
  interval: Interval;
  start: Date;
}): FirstPeriod {
  requireValidDate({ name: "start", value: start });
  if (billingAnchor !== "anniversary" && billingAnchor !== "first_of_month") {
    throw new TimeError(
      `billingAnchor must be "anniversary" or "first_of_month", got ${JSON.stringify(billingAnchor)}.`,
    );
  }
  const startCopy = new Date(start.getTime());
  if (billingAnchor === "anniversary" || isFirstOfMonthAtMidnight(start)) {
    const period = { start: startCopy, end: addInterval({ anchor: start, interval, count: 1 }) };
    return { period, fullPeriod: { ...period }, isStub: false, anchor: startCopy };
  }
  const anchor = nextFirstOfMonth(start);
  return {
    period: { start: startCopy, end: anchor },
    fullPeriod: { start: addInterval({ anchor, interval, count: -1 }), end: anchor },
    isStub: true,
    anchor,
  };
}

function isFirstOfMonthAtMidnight(date: Date): boolean {
  return (
    date.getUTCDate() === 1 &&
    date.getUTCHours() === 0 &&
    date.getUTCMinutes() === 0 &&
    date.getUTCSeconds() === 0 &&
    date.getUTCMilliseconds() === 0
  );
}

function nextFirstOfMonth(date: Date): Date {
  const result = new Date(0);
  result.setUTCFullYear(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return result;
}
