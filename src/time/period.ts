/** A billing period `[start, end)` in UTC: `start` is inside it, `end` is the next period's start. */
export interface Period {
  start: Date;
  end: Date;
}
