/**
 * A MercadoPago API call that failed or answered with something the adapter cannot use. `status` is the
 * HTTP status, or null when no response arrived (connection error, timeout) or the response was
 * unusable. The message names the operation and says what to check.
 */
export class MercadoPagoApiError extends Error {
  readonly operation: string;
  readonly status: number | null;

  constructor({
    operation,
    status,
    message,
  }: {
    operation: string;
    status: number | null;
    message: string;
  }) {
    super(message);
    this.name = "MercadoPagoApiError";
    this.operation = operation;
    this.status = status;
  }
}
