import type { Clock } from "./clock.ts";

/** The real wall clock. */
export const systemClock: Clock = {
  now: () => new Date(),
};
