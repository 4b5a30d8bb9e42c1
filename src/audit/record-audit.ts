import type { Executor } from "../db/database.ts";
import { auditLogs } from "../db/schema/index.ts";
import { newId } from "../ids.ts";
import { currentClientRequestId, currentRequestId } from "./audit-context.ts";

/** Who did something: an API key id (`key_…`), a user (`user:<sub>`), or `system:<job>` for automation. */
export type Actor = string;

export interface AuditEntry {
  action: string;
  actor: Actor;
  organizationId: string | null;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
  metadata?: Record<string, unknown>;
  /** The HTTP request id; defaults to the request being served (`currentRequestId`), null in jobs. */
  requestId?: string | null;
}

/**
 * Appends to the audit trail, in the caller's transaction so the entry exists exactly when the change
 * does. Rows cannot be changed or deleted afterwards (a database trigger refuses it).
 */
export async function recordAudit({
  executor,
  entry,
  now,
}: {
  executor: Executor;
  entry: AuditEntry;
  now: Date;
}): Promise<string> {
  const id = newId("aud", now.getTime());
  await executor.insert(auditLogs).values({
    id,
    action: entry.action,
    actor: entry.actor,
    organizationId: entry.organizationId,
    reason: entry.reason ?? null,
    before: toJson(entry.before),
    after: toJson(entry.after),
    metadata: toJson(entry.metadata),
    requestId: entry.requestId ?? currentRequestId(),
    clientRequestId: currentClientRequestId(),
    createdAt: now,
  });
  return id;
}

/** JSON-safe copy: bigint amounts become strings, dates ISO strings. */
export function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  // Plain data (objects, arrays, dates, primitives: what audit entries hold) is copied directly, several
  // times cheaper than a round trip through JSON text; anything else takes that round trip.
  const copied = copyPlain(value, 0);
  if (copied !== unusual && copied !== omitted) return copied;
  return JSON.parse(
    JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item)),
  );
}

const unusual = Symbol("unusual");
const omitted = Symbol("omitted");

/**
 * What `JSON.parse(JSON.stringify(value))` answers for plain data, with bigints as text; `omitted` where
 * JSON.stringify leaves a value out, `unusual` for anything it might treat otherwise (`toJSON` methods,
 * class instances, `__proto__` keys, very deep or circular data).
 */
function copyPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value + 0 : null; // -0 prints as 0
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return omitted;
  }
  if (value === null) return null;
  if (depth > 100) return unusual;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Date.prototype && !Object.hasOwn(value as object, "toJSON")) {
    const time = (value as Date).getTime();
    return Number.isFinite(time) ? (value as Date).toISOString() : null;
  }
  if (Array.isArray(value)) {
    if (prototype !== Array.prototype || Object.hasOwn(value, "toJSON")) return unusual;
    const copy: unknown[] = new Array(value.length);
    for (let index = 0; index < value.length; index++) {
      const item = copyPlain(value[index], depth + 1);
      if (item === unusual) return unusual;
      copy[index] = item === omitted ? null : item;
    }
    return copy;
  }
  if (prototype !== Object.prototype && prototype !== null) return unusual;
  const record = value as Record<string, unknown>;
  if ("toJSON" in record) return unusual;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (key === "__proto__") return unusual;
    const item = copyPlain(record[key], depth + 1);
    if (item === unusual) return unusual;
    if (item !== omitted) copy[key] = item;
  }
  return copy;
}
