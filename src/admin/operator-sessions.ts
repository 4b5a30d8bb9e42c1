import { and, eq, isNull, lt, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/database.ts";
import { apiKeys, operatorSessions } from "../db/schema/index.ts";
import { newId } from "../ids.ts";
import { hashToken, newToken } from "../portal/portal-sessions.ts";

export type OperatorSession = typeof operatorSessions.$inferSelect;

/** A backoffice session ends after this long without a request; each request moves the end forward. */
export const operatorSessionIdleMs = 30 * 60_000;
/** However active, a backoffice session ends this long after sign-in (or when its JWT expires, if sooner). */
export const operatorSessionMaxMs = 12 * 60 * 60_000;
/** A request renews the idle expiry at most this often. */
const renewEveryMs = 60_000;

/**
 * Signs a root principal in to the backoffice: stores the session (only the hash of its cookie token) and
 * audits the sign-in as the operator. `credentialExpiresAt` (a JWT's `exp`) caps the session.
 */
export async function createOperatorSession({
  db,
  principal,
  credentialExpiresAt,
  now,
}: {
  db: Database;
  principal: Principal;
  credentialExpiresAt: Date | null;
  now: Date;
}): Promise<{ session: OperatorSession; sessionToken: string }> {
  if (!principal.root) throw new Error("only a root principal may open a backoffice session");
  const sessionToken = newToken();
  const maxEnd = now.getTime() + operatorSessionMaxMs;
  const endsAt = new Date(Math.min(maxEnd, credentialExpiresAt?.getTime() ?? maxEnd));
  return db.transaction(async (tx) => {
    const [session] = await tx
      .insert(operatorSessions)
      .values({
        id: newId("os", now.getTime()),
        actor: principal.id,
        credentialKind: principal.kind === "api_key" ? "api_key" : "user",
        apiKeyId: principal.kind === "api_key" ? principal.id : null,
        subject: principal.subject,
        email: principal.email,
        sessionTokenHash: hashToken(sessionToken),
        createdAt: now,
        expiresAt: new Date(Math.min(now.getTime() + operatorSessionIdleMs, endsAt.getTime())),
        endsAt,
      })
      .returning();
    if (!session) throw new Error("operator session insert returned no row");
    await recordAudit({
      executor: tx,
      entry: {
        action: "operator_session.created",
        actor: principal.id,
        organizationId: null,
        after: { sessionId: session.id, credentialKind: session.credentialKind },
      },
      now,
    });
    return { session, sessionToken };
  });
}

/**
 * The live session of a cookie token, its idle expiry moved forward (at most once a minute); null when
 * unknown, idle too long, ended, revoked, or opened with an API key that has since been revoked.
 */
export async function findOperatorSession({
  db,
  sessionToken,
  now,
}: {
  db: Database;
  sessionToken: string;
  now: Date;
}): Promise<OperatorSession | null> {
  const [found] = await db
    .select({ session: operatorSessions, keyRevokedAt: apiKeys.revokedAt, keyScope: apiKeys.scope })
    .from(operatorSessions)
    .leftJoin(apiKeys, eq(apiKeys.id, operatorSessions.apiKeyId))
    .where(eq(operatorSessions.sessionTokenHash, hashToken(sessionToken)));
  if (!found) return null;
  const { session } = found;
  if (session.revokedAt !== null || session.expiresAt <= now || session.endsAt <= now) return null;
  if (session.apiKeyId !== null && (found.keyRevokedAt !== null || found.keyScope !== "root")) {
    return null;
  }
  const renewed = new Date(
    Math.min(now.getTime() + operatorSessionIdleMs, session.endsAt.getTime()),
  );
  if (renewed.getTime() - session.expiresAt.getTime() >= renewEveryMs) {
    await db
      .update(operatorSessions)
      .set({ expiresAt: renewed })
      .where(and(eq(operatorSessions.id, session.id), lt(operatorSessions.expiresAt, renewed)));
    return { ...session, expiresAt: renewed };
  }
  return session;
}

/** The principal a backoffice session acts as: the root credential it was opened with. */
export function operatorPrincipal(session: OperatorSession): Principal {
  return {
    id: session.actor,
    kind: session.credentialKind,
    root: true,
    apiKeyOrganizationId: null,
    organizationRoles: new Map(),
    subject: session.subject,
    email: session.email,
    groups: [],
  };
}

/** Signs out: the session's cookie stops working at once. Audited as the operator. */
export async function revokeOperatorSession({
  db,
  session,
  now,
}: {
  db: Database;
  session: OperatorSession;
  now: Date;
}): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(operatorSessions)
      .set({
        revokedAt: sql`coalesce(${operatorSessions.revokedAt}, ${now.toISOString()}::timestamptz)`,
      })
      .where(and(eq(operatorSessions.id, session.id), isNull(operatorSessions.revokedAt)));
    await recordAudit({
      executor: tx,
      entry: {
        action: "operator_session.ended",
        actor: session.actor,
        organizationId: null,
        after: { sessionId: session.id },
      },
      now,
    });
  });
}
