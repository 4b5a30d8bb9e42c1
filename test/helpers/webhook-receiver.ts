import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedRequest {
  headers: Record<string, string>;
  body: string;
  /** Whether both verifiers accepted the signature with the receiver's secret. */
  verified: boolean;
  receivedAt: number;
}

/**
 * An independent check of a Standard Webhooks signature, written from the specification with
 * node:crypto: `v1,` + base64 HMAC-SHA256, keyed with the base64-decoded secret after `whsec_`, of
 * `<webhook-id>.<webhook-timestamp>.<body>`; any of the space-separated signatures may match.
 */
export function verifyBySpecification({
  secret,
  headers,
  body,
}: {
  secret: string;
  headers: Record<string, string>;
  body: string;
}): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = Buffer.from(
    `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`,
  );
  return signatures.split(" ").some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * A webhook receiver on 127.0.0.1. `respond` decides each answer (default 200); the receiver's "logic"
 * runs once per `webhook-id` among verified requests that it answered 2xx (`processed`), as a receiver
 * deduplicating on the id does. Signatures are checked with the `standardwebhooks` library and with
 * `verifyBySpecification`.
 */
export async function startWebhookReceiver({
  respond = () => ({ status: 200 }),
}: {
  respond?: (
    request: ReceivedRequest,
    index: number,
  ) =>
    | { status: number; body?: string; delayMs?: number; hang?: boolean }
    | Promise<{ status: number; body?: string; delayMs?: number; hang?: boolean }>;
} = {}) {
  const received: ReceivedRequest[] = [];
  const processed: { id: string; event: Record<string, unknown> }[] = [];
  const seen = new Set<string>();
  let secrets: string[] = [];
  const open = new Set<http.ServerResponse>();
  /** The most requests held open at once (`hang`). */
  const stats = { maxHanging: 0 };

  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", async () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      const verified =
        secrets.length > 0 &&
        secrets.some((secret) => {
          let byLibrary = false;
          try {
            new Webhook(secret).verify(body, headers);
            byLibrary = true;
          } catch {
            byLibrary = false;
          }
          return byLibrary && verifyBySpecification({ secret, headers, body });
        });
      const entry: ReceivedRequest = { headers, body, verified, receivedAt: Date.now() };
      received.push(entry);
      const answer = await respond(entry, received.length - 1);
      if (answer.hang) {
        open.add(response);
        stats.maxHanging = Math.max(stats.maxHanging, open.size);
        response.on("close", () => open.delete(response));
        return;
      }
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      const id = headers["webhook-id"] ?? "";
      if (verified && answer.status >= 200 && answer.status < 300 && !seen.has(id)) {
        seen.add(id);
        processed.push({ id, event: JSON.parse(body) });
      }
      response.writeHead(answer.status, { "content-type": "text/plain" });
      response.end(answer.body ?? "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    stats,
    received,
    processed,
    /** The secrets the receiver accepts (set it from the endpoint's creation answer). */
    setSecrets(values: string[]) {
      secrets = values;
    },
    async waitFor(condition: () => boolean, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) {
          throw new Error(
            `webhook receiver: condition not met in ${timeoutMs} ms (${received.length} received, ${processed.length} processed)`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of open) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
