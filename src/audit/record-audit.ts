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
  return JSON.parse(
    JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item)),
  );
}
