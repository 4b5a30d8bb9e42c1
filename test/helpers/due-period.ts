/**
 * A monthly period that ended shortly before `now`, as a billing run finds it on any date: both ends fall on
 * the same day of the month (never past the 28th, so the previous month always has that day), the end is
 * in the past and the next end a month later is in the future.
 */
export function duePeriodBefore(now: Date): { periodStart: Date; dueAt: Date } {
  const dueAt = new Date(now.getTime() - 60 * 60 * 1000);
  const day = dueAt.getUTCDate();
  if (day > 28) dueAt.setUTCDate(28);
  const periodStart = new Date(dueAt);
  periodStart.setUTCMonth(periodStart.getUTCMonth() - 1);
  return { periodStart, dueAt };
}
