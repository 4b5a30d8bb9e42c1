/**
 * The source of "now". Code reads it once per operation and passes the instant down; computations never
 * call `Date.now()` themselves. Implementations return a fresh Date on each call.
 */
export interface Clock {
  now(): Date;
}
