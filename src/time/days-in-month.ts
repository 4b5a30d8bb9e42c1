const daysPerMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days in a month of the proleptic Gregorian calendar; `month` is 0-based like `getUTCMonth()`. */
export function daysInMonth({ year, month }: { year: number; month: number }): number {
  if (month === 1 && isLeapYear(year)) {
    return 29;
  }
  const days = daysPerMonth[month];
  if (days === undefined) {
    throw new RangeError(`month must be 0–11, got ${month}.`);
  }
  return days;
}

/** Gregorian rule: every 4th year, except centuries not divisible by 400 (2000 yes, 2100 no). */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
