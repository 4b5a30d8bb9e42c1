import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The HTTP request an operation runs for, so every audit entry it writes carries the request id without
 * threading it through each domain function. The HTTP layer enters it once per request (see
 * `registerAuditContext`); worker jobs and the CLI run outside any request and record `null`.
 */
export interface AuditContext {
  /** Abono's id for the request (`req_…`), also answered in `x-request-id`. */
  requestId: string;
  /** The caller's own `X-Request-Id`, when it passed validation (`clientRequestId`), else null. */
  clientRequestId: string | null;
}

const storage = new AsyncLocalStorage<AuditContext>();

export function runWithAuditContext<Result>(context: AuditContext, run: () => Result): Result {
  return storage.run(context, run);
}

/** The id of the request being served, or null outside a request. */
export function currentRequestId(): string | null {
  return storage.getStore()?.requestId ?? null;
}

/** The caller's validated `X-Request-Id` for the request being served, or null. */
export function currentClientRequestId(): string | null {
  return storage.getStore()?.clientRequestId ?? null;
}
