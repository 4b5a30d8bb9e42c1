/** Every failed call: the API's error `code` (docs/errors.md), HTTP `status` (0: no answer), and details. */
export class AbonoError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** The server's `x-request-id`, to quote when asking about a failure. */
  readonly requestId: string | undefined;

  constructor({
    code,
    message,
    status,
    details,
    requestId,
  }: {
    code: string;
    message: string;
    status: number;
    details?: Record<string, unknown> | undefined;
    requestId?: string | undefined;
  }) {
    super(message);
    this.name = "AbonoError";
    this.code = code;
    this.status = status;
    this.details = details;
    this.requestId = requestId;
  }
}
