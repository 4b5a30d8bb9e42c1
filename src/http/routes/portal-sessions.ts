import type { FastifyRequest } from "fastify";
import { z } from "zod";
import {
  access,
  type OrganizationRole,
  organizationRoles,
  type Principal,
} from "../../auth/principal.ts";
import { forbidden, notFound } from "../../errors.ts";
import { portalLinkPage } from "../../i18n/portal-link-page.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import {
  createPortalSession,
  openPortalLink,
  type PortalFlow,
  portalFlows,
  revokePortalSession,
} from "../../portal/portal-sessions.ts";
import type { RouteModule } from "../app-types.ts";
import { portalCookieHeader } from "../portal-cookie.ts";

const orgParams = z.object({ orgId: z.string() });
const rank: Record<OrganizationRole, number> = { member: 1, billing_admin: 2, owner: 3 };

/** Where each `flow` opens the portal. */
export const portalFlowPaths: Record<PortalFlow, string> = {
  change_plan: "/portal/plans",
  buy_pack: "/portal/packs",
  payment_methods: "/portal/payment-methods",
  checkout: "/portal/checkout",
};

const sessionSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  role: z.enum(organizationRoles),
  flow: z.enum(portalFlows).nullable(),
  locale: z.enum(["en", "es"]).nullable(),
  returnUrl: z.string().nullable(),
  expiresAt: z.date(),
});

/** The strongest role the caller holds for the organization (root and the organization's key: owner). */
function strongestRole(principal: Principal, organizationId: string): OrganizationRole {
  if (principal.root || principal.apiKeyOrganizationId === organizationId) return "owner";
  const held = [...(principal.organizationRoles.get(organizationId) ?? [])];
  return held.sort((a, b) => rank[b] - rank[a])[0] ?? "member";
}

/** The origin links are made for: ABONO_PUBLIC_URL when set, else the one the request came to. */
const originOf = (publicUrl: string | undefined, request: FastifyRequest) =>
  publicUrl ?? `${request.protocol}://${request.host}`;

/**
 * Billing portal sessions (docs/portal.md): a host product's backend asks for a single-use link, the customer
 * opens it and gets a cookie session scoped to the organization; the portal calls the API with it.
 */
export const portalSessionRoutes: RouteModule = (app, { db, clock, config }) => {
  app.post(
    "/v1/organizations/:orgId/portal-sessions",
    {
      config: { access: access.organization("owner", "billing_admin") },
      schema: {
        tags: ["billing portal"],
        summary: "Create a billing portal session",
        description:
          "A single-use link to the billing portal for this organization, valid for 5 minutes. Opening it signs the browser in with an httpOnly cookie session scoped to the organization, which lasts while it is used (1 hour after the last request, 12 hours at most). The session acts with `role` (default: billing_admin for root and API keys, else the caller's own role; never more than the caller's): a `member` sees the billing but cannot pay or change it. `flow` opens a screen directly; `returnUrl` is where the portal's back link goes; `locale` overrides the organization's.",
        params: orgParams,
        body: z
          .object({
            returnUrl: z
              .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
              .max(2000)
              .optional(),
            locale: z.enum(["en", "es"]).optional(),
            flow: z
              .enum(portalFlows, {
                error: `must be one of ${portalFlows.join(", ")}`,
              })
              .optional(),
            role: z
              .enum(organizationRoles)
              .optional()
              .describe("The session's role; at most the caller's."),
          })
          .default({}),
        response: {
          201: z.object({
            id: z.string(),
            url: z.string().describe("Send the customer here; it opens once."),
            expiresAt: z.date().describe("The link's expiry (5 minutes)."),
            organizationId: z.string(),
            role: z.enum(organizationRoles),
            flow: z.enum(portalFlows).nullable(),
          }),
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      const organizationId = request.params.orgId;
      if (!principal || principal.kind === "portal_session") {
        throw forbidden("A billing portal session cannot create portal sessions.");
      }
      await getOrganizationRecord({ db, organizationId });
      const strongest = strongestRole(principal, organizationId);
      const defaultRole: OrganizationRole = principal.kind === "user" ? strongest : "billing_admin";
      const role = request.body.role ?? defaultRole;
      if (rank[role] > rank[strongest]) {
        throw forbidden(
          `The caller is ${strongest} of ${organizationId}; it cannot open a ${role} session.`,
        );
      }
      const { session, linkToken } = await createPortalSession({
        db,
        organizationId,
        role,
        locale: request.body.locale ?? null,
        flow: request.body.flow ?? null,
        returnUrl: request.body.returnUrl ?? null,
        createdBy: principal.id,
        now: clock(),
      });
      return reply.code(201).send({
        id: session.id,
        url: `${originOf(config.portal.publicUrl, request)}/portal/session/${linkToken}`,
        expiresAt: session.linkExpiresAt,
        organizationId,
        role: session.role,
        flow: session.flow,
      });
    },
  );

  app.get(
    "/v1/portal-session",
    {
      config: { access: access.authenticated, portalSession: true },
      schema: {
        tags: ["billing portal"],
        summary: "The current billing portal session",
        description:
          "For the portal itself: the session its cookie carries, with the organization, role and the CSRF token every change must send in `X-CSRF-Token`. 404 for a request not authenticated by a portal session.",
        response: {
          200: sessionSchema.extend({
            csrfToken: z.string(),
            organization: z.object({
              id: z.string(),
              name: z.string(),
              locale: z.enum(["en", "es"]),
              currency: z.string().nullable(),
            }),
          }),
        },
      },
    },
    async (request) => {
      const portal = request.portalSession;
      if (!portal) {
        throw notFound("Portal session", "(this request carries no portal session cookie)");
      }
      const { session, csrfToken } = portal;
      const organization = await getOrganizationRecord({
        db,
        organizationId: session.organizationId,
      });
      return {
        id: session.id,
        organizationId: session.organizationId,
        role: session.role,
        flow: session.flow,
        locale: session.locale,
        returnUrl: session.returnUrl,
        expiresAt: session.expiresAt ?? session.linkExpiresAt,
        csrfToken,
        organization: {
          id: organization.id,
          name: organization.name,
          locale: organization.locale,
          currency: organization.currency,
        },
      };
    },
  );

  app.delete(
    "/v1/portal-session",
    {
      config: { access: access.authenticated, portalSession: true },
      schema: {
        tags: ["billing portal"],
        summary: "End the current billing portal session (sign out)",
        description:
          "Ends the session the cookie carries and clears the cookie; 404 for a request not authenticated by a portal session.",
        response: { 200: z.object({ id: z.string(), ended: z.literal(true) }) },
      },
    },
    async (request, reply) => {
      const portal = request.portalSession;
      if (!portal) {
        throw notFound("Portal session", "(this request carries no portal session cookie)");
      }
      await revokePortalSession({ db, sessionId: portal.session.id, now: clock() });
      return reply
        .header("set-cookie", portalCookieHeader(config.portal, null))
        .send({ id: portal.session.id, ended: true as const });
    },
  );

  app.get(
    "/portal/session/:token",
    {
      config: { access: access.public },
      schema: { hide: true, params: z.object({ token: z.string().max(200) }) },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer");
      const opened = await openPortalLink({ db, linkToken: request.params.token, now: clock() });
      if (opened.outcome === "opened") {
        const { session } = opened;
        return reply
          .header("set-cookie", portalCookieHeader(config.portal, opened.sessionToken))
          .redirect(session.flow ? portalFlowPaths[session.flow] : "/portal/", 303);
      }
      const session = opened.outcome === "unknown" ? null : opened.session;
      const organizationLocale = session
        ? await getOrganizationRecord({ db, organizationId: session.organizationId }).then(
            (organization) => organization.locale,
            () => null,
          )
        : null;
      const locale =
        session?.locale ??
        organizationLocale ??
        (/^es\b/i.test(request.headers["accept-language"] ?? "") ? "es" : "en");
      return reply
        .code(410)
        .type("text/html; charset=utf-8")
        .send(
          portalLinkPage({
            locale,
            problem: opened.outcome,
            returnUrl: session?.returnUrl ?? null,
          }),
        );
    },
  );
};
