import { describe, expect, it } from "vitest";
import { isTransientError } from "../../../src/billing/is-transient-error.ts";
import { AbonoError, invalidState } from "../../../src/errors.ts";
import { renewalRetryDelayMs } from "../../../src/subscriptions/renewal-failures.ts";

const pgError = (code: string) => Object.assign(new Error("database said no"), { code });

describe("isTransientError", () => {
  it("retries connections, serialization failures, deadlocks, timeouts and provider outages", () => {
    for (const code of ["08006", "08001", "40001", "40P01", "57014", "57P01", "53300", "55P03"]) {
      expect(isTransientError(pgError(code))).toBe(true);
    }
    expect(isTransientError(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(true);
    expect(isTransientError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransientError(new AbonoError("provider_error", "Stripe did not answer"))).toBe(true);
    // Wrapped (as drizzle wraps driver errors): the cause decides.
    expect(isTransientError(new Error("Failed query", { cause: pgError("40001") }))).toBe(true);
  });

  it("records everything else: out-of-range values, invalid state, bugs", () => {
    expect(isTransientError(pgError("22003"))).toBe(false); // numeric_value_out_of_range
    expect(isTransientError(pgError("23505"))).toBe(false);
    expect(isTransientError(invalidState("The invoice is too large to issue"))).toBe(false);
    expect(isTransientError(new TypeError("x is undefined"))).toBe(false);
    expect(isTransientError(new Error("Failed query", { cause: pgError("22003") }))).toBe(false);
    expect(isTransientError("a string")).toBe(false);
  });
});

describe("renewalRetryDelayMs", () => {
  it("doubles from five minutes up to a day", () => {
    const minutes = [1, 2, 3, 4, 9, 10, 50].map(
      (attempts) => renewalRetryDelayMs(attempts) / 60_000,
    );
    expect(minutes).toEqual([5, 10, 20, 40, 1280, 1440, 1440]);
  });
});
