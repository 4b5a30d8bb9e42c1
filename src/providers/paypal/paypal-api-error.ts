import { ApiError } from "@paypal/paypal-server-sdk";
import { z } from "zod";

const errorBodySchema = z.object({
  name: z.string().optional(),
  message: z.string().optional(),
  debug_id: z.string().optional(),
  details: z.array(z.object({ issue: z.string(), description: z.string().optional() })).optional(),
});

/**
 * A PayPal API call that failed in a way Abono does not translate into a payment notice or refund
 * result (authentication, a missing resource, a server error, an unexpected response).
 */
export class PayPalApiError extends Error {
  /** HTTP status, or null when PayPal was not reached or answered something unreadable. */
  readonly statusCode: number | null;
  /** PayPal's `details[0].issue` (`RESOURCE_NOT_FOUND`, `INSTRUMENT_DECLINED`…) or its error `name`. */
  readonly issue: string | null;
  /** PayPal's `debug_id`, to quote to PayPal support. */
  readonly debugId: string | null;

  constructor({
    message,
    statusCode = null,
    issue = null,
    debugId = null,
    cause,
  }: {
    message: string;
    statusCode?: number | null;
    issue?: string | null;
    debugId?: string | null;
    cause?: unknown;
  }) {
    super(message, { cause });
    this.name = "PayPalApiError";
    this.statusCode = statusCode;
    this.issue = issue;
    this.debugId = debugId;
  }

  /** Wraps whatever an SDK call threw, reading PayPal's error body when there is one. */
  static from({ error, operation }: { error: unknown; operation: string }): PayPalApiError {
    if (error instanceof PayPalApiError) return error;
    if (!(error instanceof ApiError)) {
      const reason = error instanceof Error ? error.message : String(error);
      return new PayPalApiError({ message: `PayPal ${operation} failed: ${reason}`, cause: error });
    }
    const body = errorBodySchema.safeParse(error.result);
    const detail = body.success ? body.data.details?.[0] : undefined;
    const issue = detail?.issue ?? (body.success ? body.data.name : undefined) ?? null;
    const description =
      detail?.description ?? (body.success ? body.data.message : undefined) ?? error.message;
    const debugId = (body.success ? body.data.debug_id : undefined) ?? null;
    return new PayPalApiError({
      message: `PayPal ${operation} failed with HTTP ${error.statusCode}${issue ? ` ${issue}` : ""}: ${description}${debugId ? ` (debug_id ${debugId})` : ""}`,
      statusCode: error.statusCode,
      issue,
      debugId,
      cause: error,
    });
  }
}
