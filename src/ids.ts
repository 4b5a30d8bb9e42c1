import { monotonicFactory } from "ulid";

/** Id prefixes: the public ones of README "Concepts" plus the internal ones. */
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
  | "ntf"
  | "whe"
  | "whd"
  | "wha"
  | "ps"
  | "os"
  | "ssub";

/**
 * ulid's default PRNG asks `crypto.getRandomValues` for one byte per character, 16 calls per id (~2 µs,
 * paid by every request for its id); the same cryptographic bytes drawn from a pooled buffer cost almost
 * nothing.
 */
const randomPool = new Uint8Array(4096);
let randomPosition = randomPool.length;
function pooledRandom(): number {
  if (randomPosition === randomPool.length) {
    crypto.getRandomValues(randomPool);
    randomPosition = 0;
  }
  return (randomPool[randomPosition++] ?? 0) / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

/**
 * A prefixed, time-sortable id: `sub_01jd3k…`. ULIDs sort by creation time (millisecond precision,
 * monotonic within a process); lower case keeps that order because digits sort before letters.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${nextUlid(now).toLowerCase()}`;
}
