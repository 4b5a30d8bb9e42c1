export const organizationRoles = ["owner", "billing_admin", "member"] as const;
export type OrganizationRole = (typeof organizationRoles)[number];

/** Who is calling. Built by the auth hook from an API key, a JWT or a billing portal session cookie. */
export interface Principal {
  /**
   * Stable actor id, used for audit and to scope Idempotency-Keys: `key_…`, `user:<sub>` or `portal:ps_…`
   * (a portal session; its creation is audited with who made it).
   */
  id: string;
  kind: "api_key" | "user" | "portal_session";
  root: boolean;
  /** Set for an organization-scoped secret key: it may act for that organization only. */
  apiKeyOrganizationId: string | null;
  /** Organization id → roles, from JWT group claims and organization memberships. */
  organizationRoles: ReadonlyMap<string, ReadonlySet<OrganizationRole>>;
  /** For users: the token's subject, email and identity groups. */
  subject: string | null;
  email: string | null;
  groups: readonly string[];
}

/** Who may call a route. Root may call every route. */
export type Access =
  | { kind: "public" }
  | { kind: "authenticated" }
  | { kind: "root" }
  | { kind: "organization"; roles: readonly OrganizationRole[] };

export const access = {
  public: { kind: "public" },
  authenticated: { kind: "authenticated" },
  root: { kind: "root" },
  organization: (...roles: OrganizationRole[]): Access => ({
    kind: "organization",
    roles: roles.length > 0 ? roles : organizationRoles,
  }),
} as const satisfies Record<string, Access | ((...roles: OrganizationRole[]) => Access)>;

/**
 * May `principal` act on `organizationId` with one of `roles`? An organization-scoped secret key acts
 * for its own organization with every role: it is the organization's server speaking.
 */
export function canActForOrganization({
  principal,
  organizationId,
  roles,
}: {
  principal: Principal;
  organizationId: string;
  roles: readonly OrganizationRole[];
}): boolean {
  if (principal.root) return true;
  if (principal.apiKeyOrganizationId !== null)
    return principal.apiKeyOrganizationId === organizationId;
  const held = principal.organizationRoles.get(organizationId);
  return held !== undefined && roles.some((role) => held.has(role));
}

export function isAllowed({
  principal,
  routeAccess,
  organizationId,
}: {
  principal: Principal;
  routeAccess: Access;
  organizationId: string | undefined;
}): boolean {
  switch (routeAccess.kind) {
    case "public":
    case "authenticated":
      return true;
    case "root":
      return principal.root;
    case "organization":
      return (
        organizationId !== undefined &&
        canActForOrganization({ principal, organizationId, roles: routeAccess.roles })
      );
  }
}
