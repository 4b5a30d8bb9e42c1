import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { organizations } from "./organizations.ts";

/**
 * Billing portal sessions (docs/portal.md). A session starts as a single-use link (only the SHA-256 of its
 * token is kept) that expires within minutes; opening it stores the hash of a new cookie token and starts a
 * session that lasts while it is used, up to an absolute end.
 */
export const portalSessions = pgTable(
  "portal_sessions",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["owner", "billing_admin", "member"] }).notNull(),
    locale: text("locale", { enum: ["en", "es"] }),
    flow: text("flow", { enum: ["change_plan", "buy_pack", "payment_methods", "checkout"] }),
    returnUrl: text("return_url"),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    linkTokenHash: text("link_token_hash").notNull().unique(),
    linkExpiresAt: timestamp("link_expires_at", { withTimezone: true }).notNull(),
    linkUsedAt: timestamp("link_used_at", { withTimezone: true }),
    sessionTokenHash: text("session_token_hash").unique(),
    /** Moves forward while the session is used (sliding expiry), never past `endsAt`. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    endsAt: timestamp("ends_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (table) => [
    check(
      "portal_sessions_opened",
      sql`(${table.sessionTokenHash} is null) = (${table.linkUsedAt} is null)`,
    ),
    index("portal_sessions_organization_id_idx").on(table.organizationId),
  ],
);
