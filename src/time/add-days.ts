const dayMs = 24 * 60 * 60 * 1000;

/** `days` whole days of 24 hours after `date` (trials, retries, grace periods, pack expiry). */
export function addDays({ date, days }: { date: Date; days: number }): Date {
  return new Date(date.getTime() + days * dayMs);
}
