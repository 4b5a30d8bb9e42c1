import { AbonoError } from "../errors.ts";

/** SQLSTATE classes and codes that mean "try again": the same work can succeed a moment later. */
const transientClasses = ["08", "53"]; // connection exception, insufficient resources
const transientCodes = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "55P03", // lock_not_available
  "57014", // query_canceled (a statement timeout)
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);
const transientNodeCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);
const transientMessages = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /cannot use a pool after calling end/i,
];

/**
 * Whether a failed piece of billing work may succeed by simply running it again: a lost or refused
 * database connection, a serialization failure or deadlock, a statement timeout, or a payment provider
 * that did not answer (`provider_error`). Everything else (a bad value, a missing price, an amount out of
 * range, a bug) fails the same way every time and must be recorded for an operator instead of retried at
 * once. Wrapped errors are followed through `cause`.
 */
export function isTransientError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && current !== undefined; depth++) {
    if (current instanceof AbonoError) return current.code === "provider_error";
    if (typeof current !== "object") return false;
    const { code, message, cause } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    if (typeof code === "string") {
      if (transientCodes.has(code) || transientNodeCodes.has(code)) return true;
      if (code.length === 5 && transientClasses.includes(code.slice(0, 2))) return true;
    }
    if (typeof message === "string" && transientMessages.some((pattern) => pattern.test(message))) {
      return true;
    }
    current = cause;
  }
  return false;
}
