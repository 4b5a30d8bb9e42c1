/**
 * Typed, expected failures. Every error a client can cause is an `AbonoError` with one of the codes of
 * docs/errors.md; `src/http/error-handler.ts` maps them to HTTP in one place.
 */

export const errorStatus = {
  validation_error: 400,
  confirmation_mismatch: 400,
  webhook_signature_invalid: 400,
  unauthenticated: 401,
  payment_failed: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_state: 409,
  idempotency_key_reused: 409,
  limit_exceeded: 409,
  /** The request did not arrive in time (ABONO_REQUEST_TIMEOUT_MS, ABONO_HEADERS_TIMEOUT_MS). */
  request_timeout: 408,
  /** The request body is over the size limit (ABONO_BODY_LIMIT_BYTES). */
  payload_too_large: 413,
  rate_limited: 429,
  internal_error: 500,
  /** A payment provider failed to answer (not the caller's fault); retry later. */
  provider_error: 502,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AbonoError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AbonoError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const validationError = (message: string, details?: Record<string, unknown>) =>
  new AbonoError("validation_error", message, details);

/** How many problems an error lists; the rest are counted, so thousands of faults never make a huge body. */
export const reportedProblemLimit = 20;

/**
 * 400 for an entry with several problems (a plan, a pack, an organization…): the first
 * `reportedProblemLimit` are listed in the message and `details.problems`, the total in
 * `details.problemCount` when some were left out.
 */
export function invalidEntry(what: string, problems: readonly string[]): AbonoError {
  const shown = problems.slice(0, reportedProblemLimit);
  const more = problems.length - shown.length;
  return validationError(
    `${what} is invalid: ${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""}`,
    { problems: shown, ...(more > 0 ? { problemCount: problems.length } : {}) },
  );
}

export const notFound = (what: string, id: string) =>
  new AbonoError("not_found", `${what} ${JSON.stringify(id)} was not found.`, { id });

export const forbidden = (message: string) => new AbonoError("forbidden", message);

export const unauthenticated = (message: string) => new AbonoError("unauthenticated", message);

export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AbonoError("conflict", message, details);

export const invalidState = (message: string, details?: Record<string, unknown>) =>
  new AbonoError("invalid_state", message, details);

/** A "danger zone" confirmation (the organization id typed again) that does not match the target. */
export const confirmationMismatch = (message: string, details?: Record<string, unknown>) =>
  new AbonoError("confirmation_mismatch", message, details);
