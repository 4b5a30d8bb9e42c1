import type { Clock } from "./clock.ts";
import { requireValidDate } from "./require-valid-date.ts";

/** A clock stopped at `date`. Each call returns a copy, so callers cannot move it by mutating it. */
export function fixedClock(date: Date): Clock {
  const milliseconds = requireValidDate({ name: "date", value: date }).getTime();
  return { now: () => new Date(milliseconds) };
}
