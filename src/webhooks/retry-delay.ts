/**
 * When the next attempt of a delivery is due after `attempts` failed ones: the schedule's delay for this
 * retry, spread by ±20 % (jitter, so endpoints that failed together are not retried in step). Null when
 * the schedule is used up: the delivery is given up.
 */
export function retryDelay({
  attempts,
  schedule,
  random,
}: {
  attempts: number;
  schedule: readonly number[];
  /** In [0, 1). */
  random: number;
}): number | null {
  const base = schedule[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.8 + 0.4 * random));
}
