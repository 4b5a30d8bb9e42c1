import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Backoffice sign-ins (docs/backoffice.md): an operator signed in at /admin with a root API key or a root
 * JWT. Only the SHA-256 of the cookie token is kept. The session acts as the credential it was opened with
 * (`actor`: the key's `key_…` id or `user:<sub>`), so the audit trail names the operator; a key session stops
 * working when its key is revoked.
 */
export const operatorSessions = pgTable(
  "operator_sessions",
  {
    id: text("id").primaryKey(),
    actor: text("actor").notNull(),
    credentialKind: text("credential_kind", { enum: ["api_key", "user"] }).notNull(),
    /** The API key the session was opened with (null for a JWT sign-in). */
    apiKeyId: text("api_key_id"),
    subject: text("subject"),
    email: text("email"),
    sessionTokenHash: text("session_token_hash").notNull().unique(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    /** Moves forward while the session is used (idle timeout), never past `endsAt`. */
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (table) => [index("operator_sessions_actor_idx").on(table.actor)],
);
