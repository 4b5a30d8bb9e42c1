/**
 * Bounds on every call Abono makes to a payment provider, so that no request waits on a provider for
 * longer than its Idempotency-Key lease (src/idempotency/idempotency-timing.ts). A call that times out
 * has an unknown outcome: the request answers 502 `provider_error` and a retry with the same
 * Idempotency-Key sends the same provider idempotency key, so it finds the first call's result.
 */

/** One HTTP request to a provider (connect to last byte). */
export const providerRequestTimeoutMs = 10_000;

/** Automatic retries of a failed request (connection errors, 409, 429, 5xx) by the provider SDKs. */
export const providerMaxNetworkRetries = 2;

/** The longest pause an SDK takes between two tries (Stripe's SDK caps it at 5 s itself). */
export const providerRetryDelayCapMs = 5_000;

/** The worst case of one provider call with all its retries. */
export const providerCallBudgetMs =
  (providerMaxNetworkRetries + 1) * providerRequestTimeoutMs +
  providerMaxNetworkRetries * providerRetryDelayCapMs;
