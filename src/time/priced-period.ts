import { addInterval } from "./add-interval.ts";
import type { Interval } from "./interval.ts";
import type { Period } from "./period.ts";

/**
 * The full interval a billing period is priced over: the period itself, or, for a first period cut short
 * by the `first_of_month` anchor (a stub, which ends at the anchor), the interval that ends where it
 * ends (`firstPeriod`'s `fullPeriod`). A stub is charged `price × stub / full interval`, so prorating
 * within it by the same full interval keeps charges and credits at that rate.
 */
export function pricedPeriod({
  period,
  anchor,
  interval,
}: {
  period: Period;
  anchor: Date;
  interval: Interval;
}): Period {
  if (period.end.getTime() !== anchor.getTime()) return period;
  const start = addInterval({ anchor, interval, count: -1 });
  return start < period.start ? { start, end: period.end } : period;
}
