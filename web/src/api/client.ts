import { createAbono } from "@abono/client";
import type { Middleware } from "openapi-fetch";

/**
 * The portal's only way to the service: `@abono/client` (docs/sdk.md), the public HTTP API typed from its
 * OpenAPI document. A portal session rides on its httpOnly cookie, with the session's CSRF token on every
 * change; a host product's JWT (docs/portal.md) is sent as a bearer token instead. The client's transport
 * gives every change an Idempotency-Key, kept when it retries, so a retried request is never applied twice.
 */
const credentials: { bearer: string | null; csrfToken: string | null } = {
  bearer: null,
  csrfToken: null,
};

export function setBearerToken(token: string) {
  credentials.bearer = token;
}

export function setCsrfToken(token: string) {
  credentials.csrfToken = token;
}

const mutating = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const authentication: Middleware = {
  onRequest({ request }) {
    if (credentials.bearer) request.headers.set("authorization", `Bearer ${credentials.bearer}`);
    if (mutating.has(request.method) && credentials.csrfToken) {
      request.headers.set("x-csrf-token", credentials.csrfToken);
    }
    return request;
  },
};

/**
 * The client the portal and its `@abono/react` components share. One retry: a person is waiting, and the
 * queries retry once more on their own.
 */
export const abono = createAbono({ baseUrl: window.location.origin, maxRetries: 1 });
abono.api.use(authentication);

/** The typed openapi-fetch client (`abono.api`), for the routes the client's surface does not name. */
export const api = abono.api;

/** Headers for a download link fetched by hand (the PDF), with the same credentials. */
export function authorizationHeaders(): Record<string, string> {
  return credentials.bearer ? { authorization: `Bearer ${credentials.bearer}` } : {};
}

/** An error answer of the API (`{error: {code, message, details}}`), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: Record<string, unknown> };
}

/** The data of an openapi-fetch answer, or its error thrown as an `ApiError`. */
export async function unwrap<Data>(
  call: Promise<{ data?: Data; error?: unknown; response: Response }>,
): Promise<Data> {
  let result: Awaited<typeof call>;
  try {
    result = await call;
  } catch (error) {
    throw new ApiError(0, "network", error instanceof Error ? error.message : String(error));
  }
  if (result.error !== undefined || !result.response.ok) {
    const body = (result.error ?? {}) as ErrorBody;
    throw new ApiError(
      result.response.status,
      body.error?.code ?? "internal_error",
      body.error?.message ?? result.response.statusText,
      body.error?.details ?? {},
    );
  }
  return result.data as Data;
}
