import { AbonoError } from "./errors.js";

export interface TransportOptions {
  /** Attempts after the first on network errors, 5xx and "still in progress" answers (default 3). */
  maxRetries?: number;
  /** Per attempt (default 30 s). */
  timeoutMs?: number;
  /** First backoff (default 200 ms), doubled each attempt, with full jitter, capped at 5 s. */
  retryBaseMs?: number;
  /** Another fetch (tests, proxies, older runtimes). */
  fetch?: typeof fetch;
}

const mutating = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function newKey(): string {
  return globalThis.crypto.randomUUID();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function retryable(response: Response): Promise<boolean> {
  if (response.status >= 500) return true;
  if (response.status !== 409) return false;
  try {
    const body = (await response.clone().json()) as { error?: { code?: string; message?: string } };
    // The same key's first request is still running: the answer comes once it finishes.
    return body.error?.code === "conflict" && /Idempotency-Key/i.test(body.error.message ?? "");
  } catch {
    return false;
  }
}

/**
 * A fetch that adds one `Idempotency-Key` to every mutation (kept across its retries, so a retried request
 * never executes twice), retries with exponential backoff and full jitter on network errors, timeouts,
 * 5xx and 409 "still in progress", and aborts each attempt after `timeoutMs`.
 */
export function createTransport(options: TransportOptions = {}): typeof fetch {
  const {
    maxRetries = 3,
    timeoutMs = 30_000,
    retryBaseMs = 200,
    fetch: inner = globalThis.fetch,
  } = options;
  return async (input, init) => {
    const original = new Request(input, init);
    const headers = new Headers(original.headers);
    if (mutating.has(original.method) && !headers.has("idempotency-key")) {
      headers.set("idempotency-key", newKey());
    }
    const body = original.body ? await original.arrayBuffer() : undefined;
    for (let attempt = 0; ; attempt += 1) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      const abortOuter = () => controller.abort();
      original.signal?.addEventListener("abort", abortOuter);
      try {
        const response = await inner(original.url, {
          method: original.method,
          headers,
          body,
          signal: controller.signal,
        });
        if (attempt < maxRetries && (await retryable(response))) {
          await response.body?.cancel();
        } else {
          return response;
        }
      } catch (error) {
        if (original.signal?.aborted) throw error;
        if (attempt >= maxRetries) {
          throw new AbonoError({
            code: controller.signal.aborted ? "timeout" : "network_error",
            message: controller.signal.aborted
              ? `No answer within ${timeoutMs} ms`
              : `Network error: ${error instanceof Error ? error.message : String(error)}`,
            status: 0,
          });
        }
      } finally {
        clearTimeout(timer);
        original.signal?.removeEventListener("abort", abortOuter);
      }
      await sleep(Math.random() * Math.min(5_000, retryBaseMs * 2 ** attempt));
    }
  };
}

/** Turns an openapi-fetch result into its data, or throws the typed error. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = (result.error ?? {}) as {
    error?: { code?: string; message?: string; details?: Record<string, unknown> };
  };
  throw new AbonoError({
    code: body.error?.code ?? `http_${result.response.status}`,
    message: body.error?.message ?? result.response.statusText,
    status: result.response.status,
    details: body.error?.details,
    requestId: result.response.headers.get("x-request-id") ?? undefined,
  });
}
