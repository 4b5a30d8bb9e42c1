import { decodeJwt } from "jose";
import { z } from "zod";
import {
  createOperatorSession,
  operatorSessionIdleMs,
  revokeOperatorSession,
} from "../../admin/operator-sessions.ts";
import { apiKeySecretPrefix, principalForApiKey } from "../../auth/api-keys.ts";
import { access, type Principal } from "../../auth/principal.ts";
import { forbidden, notFound, unauthenticated } from "../../errors.ts";
import { csrfTokenOf } from "../../portal/portal-sessions.ts";
import { adminCookieHeader } from "../admin-cookie.ts";
import type { RouteModule } from "../app-types.ts";

const tags = ["backoffice"];

const operatorSchema = z.object({
  id: z.string().describe("The session id (`os_…`)."),
  actor: z
    .string()
    .describe("Who acts: the root key's id (`key_…`) or `user:<sub>`; the audit trail names it."),
  credentialKind: z.enum(["api_key", "user"]),
  email: z.string().nullable(),
  expiresAt: z.date().describe("The idle expiry: moves forward with each request."),
  endsAt: z
    .date()
    .describe("The absolute end: 12 hours after sign-in, or the JWT's expiry if sooner."),
  csrfToken: z
    .string()
    .describe("Send it in `X-CSRF-Token` with every change made with the cookie."),
  testMode: z.boolean().describe("Whether the service runs in test mode (test clocks, sandbox)."),
});

/**
 * Backoffice sign-in (docs/backoffice.md): a root API key or a root OIDC JWT is exchanged for an httpOnly,
 * SameSite=Strict cookie session with a CSRF token and an idle timeout. The cookie then authenticates every
 * API route as that root credential.
 */
export const adminSessionRoutes: RouteModule = (app, { db, clock, config, jwtVerifier }) => {
  /** The root principal of a credential, its expiry (a JWT's `exp`), or a 401/403. */
  const rootPrincipalOf = async (
    credential: string,
  ): Promise<{ principal: Principal; expiresAt: Date | null }> => {
    let principal: Principal | null;
    let expiresAt: Date | null = null;
    if (credential.startsWith(apiKeySecretPrefix)) {
      principal = await principalForApiKey({ db, secret: credential });
      if (principal === null) throw unauthenticated("The API key is unknown or has been revoked.");
    } else {
      if (jwtVerifier === undefined) {
        throw unauthenticated(
          "JWT sign-in is not configured on this server (ABONO_JWT_*); sign in with a root API key.",
        );
      }
      principal = await jwtVerifier(credential);
      const exp = decodeJwt(credential).exp;
      if (typeof exp === "number") expiresAt = new Date(exp * 1000);
    }
    if (!principal.root) {
      throw forbidden(
        "Only the platform operator (a root API key or a token with the root claim) may sign in to the backoffice.",
      );
    }
    return { principal, expiresAt };
  };

  app.post(
    "/v1/admin-session",
    {
      config: { access: access.public },
      schema: {
        tags,
        summary: "Sign in to the backoffice",
        description: `Exchanges a root credential (a root API key, or a JWT from the configured OIDC issuer with the root claim or group) for the backoffice's cookie session: httpOnly, SameSite=Strict, ended after ${operatorSessionIdleMs / 60_000} minutes without a request and 12 hours after sign-in at most. Any other credential: 401 (unknown) or 403 (not root). The sign-in is audited (\`operator_session.created\`).`,
        body: z.strictObject({
          credential: z
            .string({ error: "credential is required: a root API key (abono_sk_…) or a JWT" })
            .trim()
            .min(1, "credential is required: a root API key (abono_sk_…) or a JWT")
            .max(8000),
        }),
        response: { 201: operatorSchema },
      },
    },
    async (request, reply) => {
      const { principal, expiresAt } = await rootPrincipalOf(request.body.credential);
      const now = clock();
      if (expiresAt !== null && expiresAt <= now) {
        throw unauthenticated("The token has expired; sign in again to get a new one.");
      }
      const { session, sessionToken } = await createOperatorSession({
        db,
        principal,
        credentialExpiresAt: expiresAt,
        now,
      });
      return reply
        .code(201)
        .header("set-cookie", adminCookieHeader(config.portal, sessionToken))
        .header("cache-control", "no-store")
        .send({
          id: session.id,
          actor: session.actor,
          credentialKind: session.credentialKind,
          email: session.email,
          expiresAt: session.expiresAt,
          endsAt: session.endsAt,
          csrfToken: csrfTokenOf(sessionToken),
          testMode: config.testMode,
        });
    },
  );

  app.get(
    "/v1/admin-session",
    {
      config: { access: access.root },
      schema: {
        tags,
        summary: "The current backoffice session",
        description:
          "For the backoffice itself: the operator its cookie signs in and the CSRF token every change must send in `X-CSRF-Token`. 404 for a request not authenticated by a backoffice cookie.",
        response: { 200: operatorSchema },
      },
    },
    async (request, reply) => {
      const operator = request.operatorSession;
      if (!operator) {
        throw notFound("Backoffice session", "(this request carries no backoffice session cookie)");
      }
      const { session, csrfToken } = operator;
      return reply.header("cache-control", "no-store").send({
        id: session.id,
        actor: session.actor,
        credentialKind: session.credentialKind,
        email: session.email,
        expiresAt: session.expiresAt,
        endsAt: session.endsAt,
        csrfToken,
        testMode: config.testMode,
      });
    },
  );

  app.delete(
    "/v1/admin-session",
    {
      config: { access: access.root },
      schema: {
        tags,
        summary: "Sign out of the backoffice",
        description:
          "Ends the session the cookie carries (its cookie stops working at once) and clears the cookie; audited (`operator_session.ended`). 404 for a request not authenticated by a backoffice cookie.",
        response: { 200: z.object({ id: z.string(), ended: z.literal(true) }) },
      },
    },
    async (request, reply) => {
      const operator = request.operatorSession;
      if (!operator) {
        throw notFound("Backoffice session", "(this request carries no backoffice session cookie)");
      }
      await revokeOperatorSession({ db, session: operator.session, now: clock() });
      return reply
        .header("set-cookie", adminCookieHeader(config.portal, null))
        .send({ id: operator.session.id, ended: true as const });
    },
  );
};
