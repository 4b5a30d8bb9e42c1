/** How often a price recurs. */
export type Interval = "month" | "year";

export const intervals: readonly Interval[] = ["month", "year"];

export function isInterval(value: unknown): value is Interval {
  return value === "month" || value === "year";
}
