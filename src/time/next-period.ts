import type { Interval } from "./interval.ts";
import type { Period } from "./period.ts";
import { periodContaining } from "./period-containing.ts";
import { requireValidDate } from "./require-valid-date.ts";
import { TimeError } from "./time-error.ts";

/**
 * The period that follows `period` on the anchor's schedule: it starts at `period.end`. `period` may be
 * a regular period or a first stub period whose end is a boundary of the anchor (see `firstPeriod`).
 * A `period.end` that is not on the anchor's schedule is an error.
 */
export function nextPeriod({
  anchor,
  interval,
  period,
}: {
  anchor: Date;
  interval: Interval;
  period: Period;
}): Period {
  requireValidDate({ name: "period.end", value: period.end });
  const next = periodContaining({ anchor, interval, at: period.end });
  if (next.start.getTime() !== period.end.getTime()) {
    throw new TimeError(
      `period.end (${period.end.toISOString()}) is not a period boundary of the anchor ${anchor.toISOString()} with interval "${interval}".`,
    );
  }
  return next;
}
