import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Secret API keys. Only a SHA-256 hash of the secret is stored; the secret is shown once. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    scope: text("scope", { enum: ["root", "organization"] }).notNull(),
    organizationId: text("organization_id"),
    secretHash: text("secret_hash").notNull().unique(),
    secretPrefix: text("secret_prefix").notNull(),
    createdBy: text("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (table) => [
    check(
      "api_keys_scope_organization",
      sql`(${table.scope} = 'root' and ${table.organizationId} is null) or (${table.scope} = 'organization' and ${table.organizationId} is not null)`,
    ),
    index("api_keys_organization_id_idx").on(table.organizationId),
  ],
);
