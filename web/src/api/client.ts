import { createAbono } from "@abono/client";
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./openapi.gen.ts";

/**
 * The portal's only way to the service: the public HTTP API, typed from its OpenAPI document
 * (scripts/generate-api-types.ts). A portal session rides on its httpOnly cookie, with the session's CSRF
 * token on every change; a host product's JWT (docs/portal.md) is sent as a bearer token instead.
 * Every change carries a fresh Idempotency-Key, so a retried request is never applied twice.
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
    if (mutating.has(request.method)) {
      if (credentials.csrfToken) request.headers.set("x-csrf-token", credentials.csrfToken);
      if (!request.headers.has("idempotency-key")) {
        request.headers.set("idempotency-key", crypto.randomUUID());
      }
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  credentials: "same-origin",
});
api.use(authentication);

/**
 * `@abono/client` with the same credentials, for the portal's `@abono/react` components (entitlement,
 * public catalog). Reads only, no retries of its own. The screens' calls stay on `api` above, whose fetch
 * is the browser's: through the client's transport, the card-setup return page (`POST …/complete`)
 * stayed on "Saving your card…" in the browser tests, not understood yet.
 */
export const abono = createAbono({ baseUrl: window.location.origin, maxRetries: 0 });
abono.api.use(authentication);

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
