import { monotonicFactory } from "ulid";

/** Id prefixes of API.md plus the internal ones. */
export type IdPrefix =
  | "org"
  | "sub"
  | "inv"
  | "pay"
  | "pm"
  | "txn"
  | "aud"
  | "clock"
  | "evt"
  | "key"
  | "cus"
  | "pi"
  | "ii"
  | "grt"
  | "req"
  | "chk"
  | "pev"
  | "re"
  | "eml"
  | "ntf";

const nextUlid = monotonicFactory();

/**
 * A prefixed, time-sortable id: `sub_01jd3k…`. ULIDs sort by creation time (millisecond precision,
 * monotonic within a process); lower case keeps that order because digits sort before letters.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${nextUlid(now).toLowerCase()}`;
}
