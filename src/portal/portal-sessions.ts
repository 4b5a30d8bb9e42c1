import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { OrganizationRole } from "../auth/principal.ts";
import type { Database } from "../db/database.ts";
import { portalSessions } from "../db/schema/index.ts";
import { newId } from "../ids.ts";

export type PortalSession = typeof portalSessions.$inferSelect;
export type PortalFlow = NonNullable<PortalSession["flow"]>;
export const portalFlows = ["change_plan", "buy_pack", "payment_methods", "checkout"] as const;

/** How long a link may wait to be opened; it opens once. */
export const portalLinkLifetimeMs = 5 * 60_000;
/** A session ends after this long without a request; each request moves the end forward. */
export const portalSessionIdleMs = 60 * 60_000;
/** However active, a session ends this long after its link was opened. */
export const portalSessionMaxMs = 12 * 60 * 60_000;
/** A request renews the sliding expiry at most this often (one write a minute, not one per request). */
const renewEveryMs = 60_000;

/** Link and cookie tokens are 256-bit random values: a fast unsalted hash is enough to store them. */
export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
export const newToken = () => randomBytes(32).toString("base64url");

/**
 * The CSRF token of a session: derived from its cookie token, so only a page that could read the session's
 * answers (same origin) knows it, and nothing more is stored. Cookie-authenticated changes must send it.
 */
export const csrfTokenOf = (sessionToken: string) =>
  createHash("sha256").update(`csrf:${sessionToken}`).digest("base64url");

/** Creates a session and its single-use link token (shown once; only its hash is stored). */
export async function createPortalSession({
  db,
  organizationId,
  role,
  locale,
  flow,
  returnUrl,
  createdBy,
  now,
}: {
  db: Database;
  organizationId: string;
  role: OrganizationRole;
  locale: "en" | "es" | null;
  flow: PortalFlow | null;
  returnUrl: string | null;
  createdBy: string;
  now: Date;
}): Promise<{ session: PortalSession; linkToken: string }> {
  const linkToken = newToken();
  return db.transaction(async (tx) => {
    const [session] = await tx
      .insert(portalSessions)
      .values({
        id: newId("ps", now.getTime()),
        organizationId,
        role,
        locale,
        flow,
        returnUrl,
        createdBy,
        createdAt: now,
        linkTokenHash: hashToken(linkToken),
        linkExpiresAt: new Date(now.getTime() + portalLinkLifetimeMs),
      })
      .returning();
    if (!session) throw new Error("portal session insert returned no row");
    await recordAudit({
      executor: tx,
      entry: {
        action: "portal_session.created",
        actor: createdBy,
        organizationId,
        after: { sessionId: session.id, role, flow },
      },
      now,
    });
    return { session, linkToken };
  });
}

export type OpenedLink =
  | { outcome: "opened"; session: PortalSession; sessionToken: string }
  | { outcome: "expired" | "used"; session: PortalSession }
  | { outcome: "unknown" };

/**
 * Exchanges a link token for a session cookie token, once: of two concurrent openings exactly one wins (a
 * conditional UPDATE). An expired, already used or unknown link says which, for the page the customer sees.
 */
export async function openPortalLink({
  db,
  linkToken,
  now,
}: {
  db: Database;
  linkToken: string;
  now: Date;
}): Promise<OpenedLink> {
  const sessionToken = newToken();
  const linkTokenHash = hashToken(linkToken);
  const [opened] = await db
    .update(portalSessions)
    .set({
      linkUsedAt: now,
      sessionTokenHash: hashToken(sessionToken),
      expiresAt: new Date(now.getTime() + portalSessionIdleMs),
      endsAt: new Date(now.getTime() + portalSessionMaxMs),
    })
    .where(
      and(
        eq(portalSessions.linkTokenHash, linkTokenHash),
        isNull(portalSessions.linkUsedAt),
        isNull(portalSessions.revokedAt),
        gt(portalSessions.linkExpiresAt, now),
      ),
    )
    .returning();
  if (opened) return { outcome: "opened", session: opened, sessionToken };
  const [found] = await db
    .select()
    .from(portalSessions)
    .where(eq(portalSessions.linkTokenHash, linkTokenHash));
  if (!found) return { outcome: "unknown" };
  return { outcome: found.linkUsedAt !== null ? "used" : "expired", session: found };
}

/**
 * The live session of a cookie token, its sliding expiry moved forward (at most once a minute); null when
 * unknown, expired, ended or revoked.
 */
export async function findPortalSession({
  db,
  sessionToken,
  now,
}: {
  db: Database;
  sessionToken: string;
  now: Date;
}): Promise<PortalSession | null> {
  const [session] = await db
    .select()
    .from(portalSessions)
    .where(eq(portalSessions.sessionTokenHash, hashToken(sessionToken)));
  if (!session?.expiresAt || !session.endsAt || session.revokedAt !== null) return null;
  if (session.expiresAt <= now || session.endsAt <= now) return null;
  const renewed = new Date(Math.min(now.getTime() + portalSessionIdleMs, session.endsAt.getTime()));
  if (renewed.getTime() - session.expiresAt.getTime() >= renewEveryMs) {
    await db
      .update(portalSessions)
      .set({ expiresAt: renewed })
      .where(and(eq(portalSessions.id, session.id), lt(portalSessions.expiresAt, renewed)));
    return { ...session, expiresAt: renewed };
  }
  return session;
}

/** Ends a session now (sign out); its cookie stops working at once. */
export async function revokePortalSession({
  db,
  sessionId,
  now,
}: {
  db: Database;
  sessionId: string;
  now: Date;
}): Promise<void> {
  await db
    .update(portalSessions)
    .set({
      revokedAt: sql`coalesce(${portalSessions.revokedAt}, ${now.toISOString()}::timestamptz)`,
    })
    .where(eq(portalSessions.id, sessionId));
}
