import { AbonoError, createAbono, unwrap as unwrapAnswer } from "@abono/client";
import type { Middleware } from "openapi-fetch";

/**
 * The portal's only way to the service: `@abono/client` (docs/sdk.md), the public HTTP API typed from its
 * OpenAPI document. Its transport gives every change an Idempotency-Key, kept when it retries, so a
 * retried request is never applied twice. A portal session rides on its httpOnly cookie, with the
 * session's CSRF token on every change; a host product's JWT (docs/portal.md) is sent as a bearer token
 * instead. The screens and the `@abono/react` components share this one client.
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

/** One retry: a person is waiting, and the queries retry once more on their own. */
export const abono = createAbono({ baseUrl: window.location.origin, maxRetries: 1 });
abono.api.use(authentication);

/** The typed openapi-fetch client (`abono.api`), for the routes the client's surface does not name. */
export const api = abono.api;

/** The data of an openapi-fetch answer, or its error thrown as an `AbonoError`. */
export async function unwrap<Data>(
  call: Promise<{ data?: Data; error?: unknown; response: Response }>,
): Promise<Data> {
  let result: Awaited<typeof call>;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof AbonoError) throw error;
    throw new AbonoError({
      code: "network_error",
      message: error instanceof Error ? error.message : String(error),
      status: 0,
    });
  }
  return unwrapAnswer(result);
}
