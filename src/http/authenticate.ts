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
import type { App, AppDependencies } from "./app-types.ts";

const bearerPattern = /^Bearer\s+(\S+)\s*$/i;
const jwtPattern = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * Authenticates every request (API key or JWT) and checks the route's `config.access` before any body is
 * read. Unknown routes answer 404 without asking for credentials.
 */
export function registerAuthentication(app: App, { db, jwtVerifier }: AppDependencies) {
  const apiKeys = apiKeyCache({ lookup: (secret) => principalForApiKey({ db, secret }) });
  app.decorate("forgetApiKey", (keyId: string) => apiKeys.forget(keyId));
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    if (request.is404) return;
    const routeAccess: Access = request.routeOptions.config.access ?? access.authenticated;
    if (routeAccess.kind === "public") return;

    const header = request.headers.authorization;
    if (header === undefined) {
      throw unauthenticated(
        "Authentication required: send `Authorization: Bearer <API key or JWT>`.",
      );
    }
    const token = bearerPattern.exec(header)?.[1];
    if (token === undefined) {
      throw unauthenticated(
        "The Authorization header must have the form `Bearer <API key or JWT>`.",
      );
    }
    let principal: Principal | null = null;
    if (token.startsWith(apiKeySecretPrefix)) {
      principal = await apiKeys.lookup(token);
      if (principal === null) throw unauthenticated("The API key is unknown or has been revoked.");
    } else if (jwtPattern.test(token)) {
      if (jwtVerifier === undefined) {
        throw unauthenticated(
          "JWT authentication is not configured on this server; use an API key (abono_sk_…).",
        );
      }
      principal = await jwtVerifier(token);
      if (principal.subject !== null) {
        const roles = await membershipRoles({
          db,
          subject: principal.subject,
          groups: principal.groups,
        });
        principal = {
          ...principal,
          organizationRoles: mergeRoles(principal.organizationRoles, roles),
        };
      }
    } else {
      throw unauthenticated("The bearer credential is neither an Abono API key nor a JWT.");
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
