import { providerCallBudgetMs } from "../payments/provider-timeouts.ts";

/**
 * How long an `in_progress` Idempotency-Key stays claimed without a renewal. The running request renews
 * it every `idempotencyHeartbeatMs`, so only a request whose process died (or lost its database) lets it
 * lapse; another process may then take the key over (docs/idempotency.md).
 */
export const idempotencyLeaseMs = 60_000;

/** How often a running request renews its lease: four renewals per lease, so three may fail in a row. */
export const idempotencyHeartbeatMs = idempotencyLeaseMs / 4;

/** How long a concurrent retry waits for the running request to finish before answering 409. */
export const idempotencyWaitMs = 15_000;

export interface IdempotencyTiming {
  leaseMs: number;
  heartbeatMs: number;
}

export const defaultIdempotencyTiming: IdempotencyTiming = {
  leaseMs: idempotencyLeaseMs,
  heartbeatMs: idempotencyHeartbeatMs,
};

/**
 * A call to a payment provider that started before the last renewal has ended (answered or timed out)
 * before the lease can lapse, so a takeover never races the first execution's provider call.
 */
if (providerCallBudgetMs >= idempotencyLeaseMs) {
  throw new Error("A provider call must be bounded by less than the idempotency lease.");
}

/**
 * The timing with a shortened lease (tests only: `ABONO_TEST_IDEMPOTENCY_LEASE_MS` in test mode), the
 * heartbeat keeping its ratio to the lease. A shortened lease may be shorter than a provider call, which
 * is what the tests of the heartbeat want.
 */
export function shortenedIdempotencyTiming(leaseMs: number): IdempotencyTiming {
  return { leaseMs, heartbeatMs: Math.max(10, Math.floor(leaseMs / 4)) };
}
