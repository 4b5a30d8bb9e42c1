import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The HTTP request an operation runs for, so every audit entry it writes carries the request id without
 * threading it through each domain function. The HTTP layer enters it once per request (see
 * `registerAuditContext`); worker jobs and the CLI run outside any request and record `null`.
 */
const storage = new AsyncLocalStorage<{ requestId: string }>();

export function runWithAuditContext<Result>(
  context: { requestId: string },
  run: () => Result,
): Result {
  return storage.run(context, run);
}

/** The id of the request being served, or null outside a request. */
export function currentRequestId(): string | null {
  return storage.getStore()?.requestId ?? null;
}
