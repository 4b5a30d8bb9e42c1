import { createHmac, timingSafeEqual } from "node:crypto";
import {
  type VerifiedWebhook,
  type WebhookRequest,
  WebhookVerificationError,
} from "../../payments/checkout-provider.ts";

/** How far `ts` may be from the time of receipt, either way. */
export const signatureToleranceSeconds = 300;

/**
 * Verifies a MercadoPago Webhooks notification with MercadoPago's documented secret-signature scheme
 * and returns it as `{ eventId: notification id, eventType: type, payload: body }`.
 *
 * - `x-signature: ts=<timestamp>,v1=<hex>`; `x-request-id: <uuid>`.
 * - Manifest `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`, where `data.id` comes from the query
 *   string (falling back to the body's `data.id`) and is lower-cased when alphanumeric; a part whose value
 *   is missing is left out, as the docs say.
 * - `v1` must be the hex HMAC-SHA256 of the manifest with the webhook secret (compared in constant time).
 * - `ts` must be within 300 s of `now`. The docs call it milliseconds, but their example
 *   (`ts=1704908010`) and the official SDK's validator treat it as seconds; values of 10^11 and more are
 *   read as milliseconds, smaller ones as seconds (the two ranges cannot be confused for dates between
 *   1973 and 5138).
 *
 * The signature covers `data.id`, not the body, so when both the query and the body carry `data.id` they
 * must agree, and everything else in the body (type, action) stays untrusted: `interpretWebhook`
 * fetches the payment instead of believing it.
 */
export function verifyMercadoPagoWebhook({
  rawBody,
  headers,
  query,
  now,
  secret,
}: WebhookRequest & { secret: string | undefined }): VerifiedWebhook {
  if (!secret) {
    throw new WebhookVerificationError(
      "MercadoPago webhooks are not configured: set ABONO_MERCADOPAGO_WEBHOOK_SECRET",
    );
  }
  const signatureHeader = headers["x-signature"];
  if (!signatureHeader) {
    throw new WebhookVerificationError(
      "The MercadoPago notification has no x-signature header; MercadoPago signs every Webhooks notification.",
    );
  }
  const { ts, v1 } = parseSignatureHeader(signatureHeader);
  const body = parseBody(rawBody);

  const bodyDataId = idText(record(body.data)?.id);
  const queryDataId = query["data.id"] || undefined;
  if (queryDataId !== undefined && bodyDataId !== undefined && queryDataId !== bodyDataId) {
    throw new WebhookVerificationError(
      `The notification's data.id differs between the query string (${queryDataId}) and the body (${bodyDataId}).`,
    );
  }
  const dataId = queryDataId ?? bodyDataId;
  const manifest = signatureManifest({
    dataId,
    requestId: headers["x-request-id"] || undefined,
    ts,
  });
  const expected = createHmac("sha256", secret).update(manifest).digest();
  const received = Buffer.from(v1, "hex");
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    throw new WebhookVerificationError(
      "The MercadoPago notification's x-signature does not match; check ABONO_MERCADOPAGO_WEBHOOK_SECRET against the secret signature of the application in MercadoPago's Your integrations > Webhooks.",
    );
  }

  const driftSeconds = Math.abs(now.getTime() - timestampMilliseconds(ts)) / 1000;
  if (driftSeconds > signatureToleranceSeconds) {
    throw new WebhookVerificationError(
      `The MercadoPago notification was signed ${Math.floor(driftSeconds)} s away from now (ts=${ts}); notifications more than ${signatureToleranceSeconds} s old or ahead are refused. Check the server clock.`,
    );
  }

  const eventId = idText(body.id);
  if (eventId === undefined) {
    throw new WebhookVerificationError("The MercadoPago notification body has no id.");
  }
  const eventType = textOf(body.type) ?? textOf(body.topic) ?? (query.type || undefined);
  return { eventId, eventType: eventType ?? "unknown", payload: body };
}

function parseSignatureHeader(header: string): { ts: string; v1: string } {
  const parts = new Map<string, string>();
  for (const part of header.split(",")) {
    const separator = part.indexOf("=");
    if (separator > 0) parts.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  const ts = parts.get("ts");
  const v1 = parts.get("v1");
  if (!ts || !/^[0-9]{1,16}$/.test(ts) || !v1 || !/^[0-9a-fA-F]{64}$/.test(v1)) {
    throw new WebhookVerificationError(
      "The MercadoPago notification's x-signature header is malformed; expected ts=<timestamp>,v1=<64 hex digits>.",
    );
  }
  return { ts, v1 };
}

function signatureManifest({
  dataId,
  requestId,
  ts,
}: {
  dataId: string | undefined;
  requestId: string | undefined;
  ts: string;
}): string {
  const signedId =
    dataId !== undefined && /^[0-9a-zA-Z]+$/.test(dataId) ? dataId.toLowerCase() : dataId;
  return [
    signedId === undefined ? "" : `id:${signedId};`,
    requestId === undefined ? "" : `request-id:${requestId};`,
    `ts:${ts};`,
  ].join("");
}

function timestampMilliseconds(ts: string): number {
  const value = Number(ts);
  return value >= 100_000_000_000 ? value : value * 1000;
}

function parseBody(rawBody: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new WebhookVerificationError("The MercadoPago notification body is not valid JSON.");
  }
  const body = record(parsed);
  if (!body) {
    throw new WebhookVerificationError("The MercadoPago notification body is not a JSON object.");
  }
  return body;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function idText(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return textOf(value);
}

function textOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
