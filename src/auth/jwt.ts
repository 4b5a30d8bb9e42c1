import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import type { JwtConfig } from "../config.ts";
import { unstorableTextProblem } from "../db/storable-text.ts";
import { unauthenticated } from "../errors.ts";
import { type OrganizationRole, organizationRoles, type Principal } from "./principal.ts";

export type JwtVerifier = (token: string) => Promise<Principal>;

/**
 * Verifies JWTs from any OIDC issuer (Cognito, Firebase, Auth0…) against its JWKS, then maps claims to
 * roles: the configured root claim (or a root group) → root; each group matching the configured pattern
 * → a role in one organization.
 */
export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const keySet = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000 });
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: config.issuer,
        ...(config.audience && config.audience.length > 0 ? { audience: config.audience } : {}),
        clockTolerance: 5,
      }));
    } catch (error) {
      throw unauthenticated(describeJwtError(error));
    }
    if (typeof payload.sub !== "string" || payload.sub.length === 0) {
      throw unauthenticated("The token has no `sub` claim; Abono needs it to identify the user.");
    }
    const problem = unstorableTextProblem(payload.sub);
    if (problem !== null) {
      throw unauthenticated(`The token's \`sub\` claim ${problem}; it cannot identify a user.`);
    }
    return principalFromClaims({ claims: payload, config });
  };
}

export function principalFromClaims({
  claims,
  config,
}: {
  claims: JWTPayload;
  config: Pick<JwtConfig, "rootClaim" | "rootGroups" | "groupsClaim" | "groupRolePattern">;
}): Principal {
  const groups = readGroups(claims[config.groupsClaim]);
  const rootClaim = claims[config.rootClaim];
  const root =
    // Only the JSON boolean true: a string "true", 1 or "yes" is not root (docs/authentication.md).
    rootClaim === true || groups.some((group) => config.rootGroups.includes(group));
  const roles = new Map<string, Set<OrganizationRole>>();
  for (const group of groups) {
    const match = config.groupRolePattern.exec(group);
    const organizationId = match?.groups?.organization;
    if (!organizationId) continue;
    const role = (match.groups?.role ?? "member") as OrganizationRole;
    if (!organizationRoles.includes(role)) continue;
    const held = roles.get(organizationId) ?? new Set<OrganizationRole>();
    held.add(role);
    roles.set(organizationId, held);
  }
  return {
    id: `user:${claims.sub}`,
    kind: "user",
    root,
    apiKeyOrganizationId: null,
    organizationRoles: roles,
    subject: typeof claims.sub === "string" ? claims.sub : null,
    email: typeof claims.email === "string" && storable(claims.email) ? claims.email : null,
    groups,
  };
}

const storable = (text: string) => unstorableTextProblem(text) === null;

/** The groups claim as a list; a group that cannot be stored cannot name any organization, so it is ignored. */
function readGroups(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.filter((item): item is string => typeof item === "string" && storable(item));
  }
  if (typeof value === "string") {
    return value.split(/[\s,]+/).filter((item) => item.length > 0 && storable(item));
  }
  return [];
}

function describeJwtError(error: unknown): string {
  if (error instanceof errors.JWTExpired)
    return "The token has expired; sign in again to get a new one.";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `The token's \`${error.claim}\` claim is not accepted (${error.reason}).`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "The token's signature does not verify.";
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return "The token was signed with a key the issuer does not publish.";
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return "The token uses an unsupported signing algorithm.";
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return "The token is not a well-formed JWT.";
  }
  if (error instanceof errors.JWKSTimeout || error instanceof TypeError) {
    return "The issuer's signing keys could not be fetched; try again shortly.";
  }
  return "The token could not be verified.";
}
