import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { auditLogs } from "../db/schema/index.ts";

export type AuditLogRow = typeof auditLogs.$inferSelect;

export interface AuditLogFilter {
  organizationId?: string | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  /** Entries created at or after this instant. */
  since?: Date | undefined;
  /** Entries created before this instant. */
  until?: Date | undefined;
}

/**
 * The audit trail, newest first. Ids are time-sortable (`aud_<ulid>`), so the cursor is the last id of
 * the previous page; each filter has an index that ends in the id.
 */
export async function listAuditLogs({
  executor,
  filter,
  limit,
  cursor,
}: {
  executor: Executor;
  filter: AuditLogFilter;
  limit: number;
  cursor?: string | undefined;
}): Promise<AuditLogRow[]> {
  const conditions: (SQL | undefined)[] = [
    filter.organizationId === undefined
      ? undefined
      : eq(auditLogs.organizationId, filter.organizationId),
    filter.action === undefined ? undefined : eq(auditLogs.action, filter.action),
    filter.actor === undefined ? undefined : eq(auditLogs.actor, filter.actor),
    filter.since === undefined ? undefined : gte(auditLogs.createdAt, filter.since),
    filter.until === undefined ? undefined : lt(auditLogs.createdAt, filter.until),
    cursor === undefined ? undefined : lt(auditLogs.id, cursor),
  ];
  return executor
    .select()
    .from(auditLogs)
    .where(and(...conditions))
    .orderBy(desc(auditLogs.id))
    .limit(limit);
}
