import type { Clock } from "./clock.ts";
import { requireValidDate } from "./require-valid-date.ts";
import { TimeError } from "./time-error.ts";

/** A clock that only moves when told to, and only forward (like a billing test clock). */
export interface ManualClock extends Clock {
  /** Moves the clock to `date`; a date before the current time is a `TimeError`. */
  advanceTo(date: Date): void;
  /** Moves the clock forward by a non-negative number of milliseconds. */
  advanceBy({ milliseconds }: { milliseconds: number }): void;
}

/** An in-memory clock starting at `start`. (Database-backed test clocks are built on top of this later.) */
export function createManualClock(start: Date): ManualClock {
  let current = requireValidDate({ name: "start", value: start }).getTime();
  return {
    now: () => new Date(current),
    advanceTo(date: Date) {
      const target = requireValidDate({ name: "date", value: date }).getTime();
      if (target < current) {
        throw new TimeError(
          `Cannot move the clock back from ${new Date(current).toISOString()} to ${date.toISOString()}; a clock only advances.`,
        );
      }
      current = target;
    },
    advanceBy({ milliseconds }: { milliseconds: number }) {
      if (!Number.isSafeInteger(milliseconds) || milliseconds < 0) {
        throw new TimeError(
          `milliseconds must be a whole number ≥ 0 to advance the clock, got ${milliseconds}.`,
        );
      }
      current += milliseconds;
    },
  };
}
