import { timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { findOperatorSession, operatorPrincipal } from "../admin/operator-sessions.ts";
import { apiKeySecretPrefix, principalForApiKey } from "../auth/api-keys.ts";
import {
  type Access,
  access,
  isAllowed,
  type OrganizationRole,
  type Principal,
} from "../auth/principal.ts";
import { forbidden, unauthenticated } from "../errors.ts";
import { membershipRoles } from "../organizations/members.ts";
import { csrfTokenOf, findPortalSession } from "../portal/portal-sessions.ts";
import { readAdminCookie } from "./admin-cookie.ts";
import type { App, AppDependencies } from "./app-types.ts";
import { readPortalCookie } from "./portal-cookie.ts";

const bearerPattern = /^Bearer\s+(\S+)\s*$/i;
const jwtPattern = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * Authenticates every request (API key or JWT, or else a billing portal session cookie) and checks the
 * route's `config.access` before any body is read. Unknown routes answer 404 without asking for credentials.
 */
export function registerAuthentication(app: App, dependencies: AppDependencies) {
  const { db, jwtVerifier } = dependencies;
  const apiKeys = apiKeyCache({ lookup: (secret) => principalForApiKey({ db, secret }) });
  app.decorate("forgetApiKey", (keyId: string) => apiKeys.forget(keyId));
  app.decorateRequest("principal", null);
  app.decorateRequest("portalSession", null);
  app.decorateRequest("operatorSession", null);
  app.addHook("onRequest", async (request) => {
    if (request.is404) return;
    const routeAccess: Access = request.routeOptions.config.access ?? access.authenticated;
    if (routeAccess.kind === "public") return;

    const header = request.headers.authorization;
    let principal: Principal;
    if (header === undefined) {
      // No bearer credential: a backoffice or a billing portal session cookie, if the request carries one.
      const portal =
        (await operatorSessionPrincipal({ dependencies, request })) ??
        (await portalSessionPrincipal({ dependencies, request, routeAccess }));
      if (portal === null) {
        throw unauthenticated(
          "Authentication required: send `Authorization: Bearer <API key or JWT>`.",
        );
      }
      principal = portal;
    } else {
      principal = await bearerPrincipal({ header, apiKeys, db, jwtVerifier });
    }
    request.principal = principal;

    const params = request.params as Record<string, string | undefined> | undefined;
    const organizationId = params?.orgId;
    if (!isAllowed({ principal, routeAccess, organizationId })) {
      throw forbidden(
        routeAccess.kind === "root"
          ? "Only the platform operator (root) may call this route."
          : `This credential may not act for organization ${JSON.stringify(organizationId)} with this route (needs one of: ${
              routeAccess.kind === "organization" ? routeAccess.roles.join(", ") : "root"
            }).`,
      );
    }
  });
}

async function bearerPrincipal({
  header,
  apiKeys,
  db,
  jwtVerifier,
}: {
  header: string;
  apiKeys: ReturnType<typeof apiKeyCache>;
  db: AppDependencies["db"];
  jwtVerifier: AppDependencies["jwtVerifier"];
}): Promise<Principal> {
  const token = bearerPattern.exec(header)?.[1];
  if (token === undefined) {
    throw unauthenticated("The Authorization header must have the form `Bearer <API key or JWT>`.");
  }
  if (token.startsWith(apiKeySecretPrefix)) {
    const principal = await apiKeys.lookup(token);
    if (principal === null) throw unauthenticated("The API key is unknown or has been revoked.");
    return principal;
  }
  if (!jwtPattern.test(token)) {
    throw unauthenticated("The bearer credential is neither an Abono API key nor a JWT.");
  }
  if (jwtVerifier === undefined) {
    throw unauthenticated(
      "JWT authentication is not configured on this server; use an API key (abono_sk_…).",
    );
  }
  const principal = await jwtVerifier(token);
  if (principal.subject === null) return principal;
  const roles = await membershipRoles({ db, subject: principal.subject, groups: principal.groups });
  return { ...principal, organizationRoles: mergeRoles(principal.organizationRoles, roles) };
}

const safeMethods = new Set(["GET", "HEAD"]);

/** The header every request of the backoffice carries; the backoffice cookie counts only with it. */
export const backofficeHeader = "x-abono-backoffice";

/**
 * The principal of a backoffice session cookie (docs/backoffice.md) on a request marked with
 * `X-Abono-Backoffice: 1`, or null: the root
 * credential the operator signed in with, so every action is the operator's own in the audit trail. A change
 * must carry the session's CSRF token in `X-CSRF-Token`.
 */
async function operatorSessionPrincipal({
  dependencies: { db, clock, config },
  request,
}: {
  dependencies: AppDependencies;
  request: FastifyRequest;
}): Promise<Principal | null> {
  // Only the backoffice's own requests (it sends this header on every call) use its cookie, so a browser that
  // also holds a billing portal session keeps using that one on the portal's requests.
  if (request.headers[backofficeHeader] !== "1") return null;
  const token = readAdminCookie(config.portal, request.headers.cookie);
  if (token === null) return null;
  const session = await findOperatorSession({ db, sessionToken: token, now: clock() });
  if (session === null) {
    throw unauthenticated(
      "The backoffice session has expired or was ended; sign in again at /admin.",
    );
  }
  if (
    !safeMethods.has(request.method) &&
    !sameToken(request.headers["x-csrf-token"], csrfTokenOf(token))
  ) {
    throw forbidden(
      "A change made with a backoffice session cookie must send the session's CSRF token in X-CSRF-Token (GET /v1/admin-session gives it).",
    );
  }
  request.operatorSession = { session, csrfToken: csrfTokenOf(token) };
  return operatorPrincipal(session);
}

/**
 * The principal of a billing portal session cookie (docs/portal.md), or null without one. The session acts
 * for its organization only, with its role; it may read what any signed-in caller reads and call the
 * organization's routes, nothing else. A change (any method but GET) must carry the session's CSRF token in
 * `X-CSRF-Token`: a page of another site cannot read it, so it cannot make the browser change anything.
 */
async function portalSessionPrincipal({
  dependencies: { db, clock, config },
  request,
  routeAccess,
}: {
  dependencies: AppDependencies;
  request: FastifyRequest;
  routeAccess: Access;
}): Promise<Principal | null> {
  const token = readPortalCookie(config.portal, request.headers.cookie);
  if (token === null) return null;
  const session = await findPortalSession({ db, sessionToken: token, now: clock() });
  if (session === null) {
    throw unauthenticated(
      "The billing portal session has expired or was ended; open the portal again from your application.",
    );
  }
  const safe = safeMethods.has(request.method);
  if (!safe && !sameToken(request.headers["x-csrf-token"], csrfTokenOf(token))) {
    throw forbidden(
      "A change made with a portal session cookie must send the session's CSRF token in X-CSRF-Token (GET /v1/portal-session gives it).",
    );
  }
  const portalRoute = request.routeOptions.config.portalSession === true;
  if (
    routeAccess.kind !== "organization" &&
    !portalRoute &&
    !(safe && routeAccess.kind === "authenticated")
  ) {
    throw forbidden("A billing portal session may not call this route.");
  }
  request.portalSession = { session, csrfToken: csrfTokenOf(token) };
  return {
    id: `portal:${session.id}`,
    kind: "portal_session",
    root: false,
    apiKeyOrganizationId: null,
    organizationRoles: new Map([[session.organizationId, new Set([session.role])]]),
    subject: null,
    email: null,
    groups: [],
  };
}

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function mergeRoles(
  ...sources: ReadonlyMap<string, ReadonlySet<OrganizationRole>>[]
): Map<string, Set<OrganizationRole>> {
  const merged = new Map<string, Set<OrganizationRole>>();
  for (const source of sources) {
    for (const [organizationId, roles] of source) {
      const held = merged.get(organizationId) ?? new Set<OrganizationRole>();
      for (const role of roles) held.add(role);
      merged.set(organizationId, held);
    }
  }
  return merged;
}

/** How long a verified API key is trusted without asking the database again; revocation takes this long. */
const apiKeyCacheMs = 5_000;

/**
 * API keys are checked on every request; a short-lived cache of this app's verified keys keeps the hot path
 * (entitlement checks) from paying a database round trip for the key each time. Unknown keys are never
 * cached. `forget` makes a revocation take effect at once in this process; others wait `apiKeyCacheMs`.
 */
function apiKeyCache({ lookup }: { lookup: (secret: string) => Promise<Principal | null> }) {
  const entries = new Map<string, { principal: Principal; until: number }>();
  return {
    async lookup(secret: string): Promise<Principal | null> {
      const cached = entries.get(secret);
      if (cached && cached.until > Date.now()) return cached.principal;
      const principal = await lookup(secret);
      if (principal) {
        if (entries.size > 10_000) entries.clear();
        entries.set(secret, { principal, until: Date.now() + apiKeyCacheMs });
      } else {
        entries.delete(secret);
      }
      return principal;
    },
    forget(keyId: string): void {
      for (const [secret, entry] of entries) {
        if (entry.principal.id === keyId) entries.delete(secret);
      }
    },
  };
}
