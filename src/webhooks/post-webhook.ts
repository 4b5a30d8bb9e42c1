import http from "node:http";
import https from "node:https";
import {
  type DestinationPolicy,
  guardedLookup,
  hostOf,
  refuseUrlForm,
} from "./destination-policy.ts";

/** What one attempt came to: the status (null when nothing answered), the start of the answer, the error. */
export interface AttemptResult {
  statusCode: number | null;
  excerpt: string | null;
  error: string | null;
  durationMs: number;
}

/** How much of an answer is kept in the delivery log, and how much is read at most. */
export const responseExcerptLength = 1024;
const readLimit = 64 * 1024;

/**
 * POSTs one signed message to a webhook URL: connects only to addresses the destination policy allows,
 * follows no redirect, gives up after `timeoutMs` in all (connecting, sending and reading), and reads at
 * most 64 KiB of the answer, keeping its first 1 KiB. Never throws: a failure is in the result.
 */
export async function postWebhook({
  url,
  headers,
  body,
  timeoutMs,
  policy,
}: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: DestinationPolicy;
}): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { statusCode: null, excerpt: null, error: "The URL is not valid.", durationMs: 0 };
  }
  const refused = refuseUrlForm(target, policy);
  if (refused)
    return { statusCode: null, excerpt: null, error: `The URL ${refused}.`, durationMs: 0 };
  const transport = target.protocol === "https:" ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const request = transport.request(
      target,
      {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": "Abono-Webhooks/1",
        },
        lookup: guardedLookup(policy, hostOf(target)),
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () =>
          finish({
            statusCode: response.statusCode ?? null,
            excerpt: Buffer.concat(chunks).toString("utf8").slice(0, responseExcerptLength),
            error: null,
          });
        response.on("data", (chunk: Buffer) => {
          if (size < readLimit) chunks.push(chunk);
          size += chunk.length;
          if (size >= readLimit) {
            done();
            response.destroy();
          }
        });
        response.on("end", done);
        response.on("error", done);
        response.on("close", done);
      },
    );
    const timer = setTimeout(() => {
      request.destroy(new Error(`No answer within ${timeoutMs} ms.`));
    }, timeoutMs);
    request.on("error", (error) =>
      finish({ statusCode: null, excerpt: null, error: error.message }),
    );
    request.end(body);
  });
}
