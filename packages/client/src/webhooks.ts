import { AbonoError } from "./errors.js";
import type { webhooks } from "./openapi.gen.js";

type Body<Entry> = Entry extends {
  post: { requestBody?: { content: { "application/json": infer B } } };
}
  ? B
  : never;

/** Every event Abono sends to webhook endpoints, discriminated by `type` (docs/events.md). */
export type AbonoEvent = { [Type in keyof webhooks]: Body<webhooks[Type]> }[keyof webhooks];
export type AbonoEventType = AbonoEvent extends { type: infer T } ? T : string;

const encoder = new TextEncoder();

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function toBase64(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function header(headers: Headers | Record<string, string | string[] | undefined>, name: string) {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index += 1)
    difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

/**
 * Verifies a webhook Abono signed (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) and returns
 * the event, typed by its `type`. `body` must be the raw request body, byte for byte. Throws an
 * `AbonoError` (`invalid_signature`) for a wrong signature or a timestamp more than `toleranceSeconds` away.
 */
export async function verifyWebhook(
  body: string,
  headers: Headers | Record<string, string | string[] | undefined>,
  secret: string,
  {
    toleranceSeconds = 300,
    now = () => new Date(),
  }: { toleranceSeconds?: number; now?: () => Date } = {},
): Promise<AbonoEvent> {
  const fail = (message: string) =>
    new AbonoError({ code: "invalid_signature", message, status: 0 });
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures)
    throw fail("Missing webhook-id, webhook-timestamp or webhook-signature");
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds)) throw fail("Invalid webhook-timestamp");
  if (Math.abs(now().getTime() / 1000 - seconds) > toleranceSeconds)
    throw fail("Timestamp too far from now");
  const key = await globalThis.crypto.subtle.importKey(
    "raw",
    fromBase64(secret.startsWith("whsec_") ? secret.slice(6) : secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const expected = toBase64(
    await globalThis.crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${timestamp}.${body}`)),
  );
  const matches = signatures
    .split(" ")
    .some((entry) => entry.startsWith("v1,") && constantTimeEqual(entry.slice(3), expected));
  if (!matches) throw fail("No matching signature");
  return JSON.parse(body) as AbonoEvent;
}
