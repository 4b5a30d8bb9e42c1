import { index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per (caller, Idempotency-Key). `in_progress` while the first request runs; `completed` holds
 * the response that every retry replays until `expires_at` (24 h). `fencing_token` names the execution
 * that holds the key: a takeover after an expired lease changes it, and only the holder of the current
 * token may commit (docs/idempotency.md).
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    principal: text("principal").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    state: text("state", { enum: ["in_progress", "completed"] }).notNull(),
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    responseContentType: text("response_content_type"),
    /** Renewed by the running request's heartbeat; older than the lease means its process died. */
    lockedAt: timestamp("locked_at", { withTimezone: true }).notNull(),
    fencingToken: text("fencing_token").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.principal, table.key] }),
    index("idempotency_keys_expires_at_idx").on(table.expiresAt),
  ],
);
