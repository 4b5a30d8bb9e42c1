import type { Socket } from "node:net";
import type { ErrorBody } from "./error-handler.ts";

/**
 * Node's HTTP parser rejects some requests before Fastify routes them (a newline inside a header, a bad
 * request line, headers over the size limit, a request that never finishes). Fastify's default answers
 * those with its own body; this answers with the API's error body instead, then closes the connection.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const timedOut = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
  const body: ErrorBody = timedOut
    ? {
        error: {
          code: "request_timeout",
          message:
            "The request did not arrive in time: send the headers and the whole body promptly (see ABONO_REQUEST_TIMEOUT_MS).",
        },
      }
    : { error: { code: "validation_error", message: describeParseError(error.code) } };
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${timedOut ? "408 Request Timeout" : "400 Bad Request"}\r\n` +
        "Content-Type: application/json; charset=utf-8\r\n" +
        `Content-Length: ${Buffer.byteLength(json)}\r\n` +
        "Connection: close\r\n\r\n" +
        json,
    );
  }
  socket.destroy(error);
}

function describeParseError(code: string | undefined): string {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return "The request could not be read: malformed HTTP request (its headers are too large).";
    default:
      return "The request could not be read: malformed HTTP request (a bad request line, a header with a newline or a forbidden character, or bytes that are not HTTP).";
  }
}
