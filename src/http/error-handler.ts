import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from "fastify-type-provider-zod";
import { AbonoError, type ErrorCode, errorStatus, reportedProblemLimit } from "../errors.ts";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** The one place where errors become HTTP responses (codes and statuses: docs/errors.md). */
export function toErrorResponse(
  error: unknown,
  requestId: string,
): { status: number; body: ErrorBody } {
  // Domain errors list at most `reportedProblemLimit` problems at their source (`invalidEntry`); any
  // message is still capped here.
  if (error instanceof AbonoError)
    return respond(error.code, truncate(error.message), error.details);

  if (hasZodFastifySchemaValidationErrors(error)) {
    const shown = error.validation.slice(0, reportedProblemLimit).map((issue) => ({
      path: `${error.validationContext ?? "request"}${issue.instancePath.replaceAll("/", ".")}`,
      message: issue.message ?? "is invalid",
    }));
    const total = error.validation.length;
    const summary =
      shown.map((issue) => `${issue.path}: ${issue.message}`).join("; ") + moreNote(total);
    return respond("validation_error", `The request is invalid: ${summary}`, {
      issues: shown,
      ...(total > shown.length ? { issueCount: total } : {}),
    });
  }
  if (isResponseSerializationError(error)) return internal(requestId);

  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return respond("payload_too_large", describeClientError(fastifyError));
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    if (status === 404) return respond("not_found", fastifyError.message ?? "Not found.");
    if (status === 429) return respond("rate_limited", "Too many requests; slow down and retry.");
    return respond("validation_error", describeClientError(fastifyError));
  }
  return internal(requestId);
}

function describeClientError(error: Partial<FastifyError>): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "The request body is too large. Send a smaller body (see ABONO_BODY_LIMIT_BYTES, and ABONO_WEBHOOK_BODY_LIMIT_BYTES for provider webhooks).";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "Unsupported Content-Type. Send JSON with `Content-Type: application/json`.";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "The body is empty but Content-Type is application/json. Send a JSON body or drop the header.";
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return `The body is not valid JSON: ${error.message ?? ""}`.trim();
    case "FST_ERR_BAD_URL":
      return "The URL path is not valid: a percent-encoded part of it does not decode (a stray `%`, or bytes that are not UTF-8). Percent-encode ids and keys with encodeURIComponent.";
    case "FST_ERR_MAX_PARAM_LENGTH":
      return "A path parameter is too long (over 100 characters); no id or key is that long.";
    default:
      if (error.name === "SyntaxError") return `The body is not valid JSON: ${error.message ?? ""}`;
      return error.message ?? "The request is invalid.";
  }
}

const messageLimit = 4000;

function moreNote(total: number): string {
  return total > reportedProblemLimit ? `; and ${total - reportedProblemLimit} more` : "";
}

function truncate(message: string): string {
  return message.length <= messageLimit
    ? message
    : `${message.slice(0, messageLimit)}… (${message.length - messageLimit} more characters)`;
}

function respond(code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return {
    status: errorStatus[code],
    body: { error: { code, message, ...(details === undefined ? {} : { details }) } },
  };
}

function internal(requestId: string) {
  return respond(
    "internal_error",
    `An internal error occurred. Nothing you sent caused it; quote request id ${requestId} when reporting it.`,
    { requestId },
  );
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { status, body } = toErrorResponse(error, request.id);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  else request.log.info({ code: body.error.code, message: body.error.message }, "request rejected");
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}
