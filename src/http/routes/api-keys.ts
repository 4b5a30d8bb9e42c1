import { desc, lt } from "drizzle-orm";
import { z } from "zod";
import { createApiKey, publicColumns, revokeApiKey } from "../../auth/api-keys.ts";
import { access, canActForOrganization } from "../../auth/principal.ts";
import { apiKeys } from "../../db/schema/index.ts";
import { forbidden, notFound } from "../../errors.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";

const apiKey = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(["root", "organization"]),
  organizationId: z.string().nullable(),
  secretPrefix: z.string().describe("The first characters of the secret, to recognise a key."),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  revokedAt: z.date().nullable(),
});

const createBody = z.discriminatedUnion("scope", [
  z.object({ scope: z.literal("root"), name: z.string().trim().min(1).max(200) }),
  z.object({
    scope: z.literal("organization"),
    name: z.string().trim().min(1).max(200),
    organizationId: z.string().min(1).max(100),
  }),
]);

/** Secret API keys: root keys (platform operator) and organization-scoped server keys. */
export const apiKeyRoutes: RouteModule = (app, { db, clock }) => {
  app.post(
    "/v1/api-keys",
    {
      config: { access: access.authenticated, errors: ["not_found"] },
      schema: {
        tags: ["api keys"],
        summary: "Create an API key",
        description:
          "Root creates keys of any scope; an organization owner creates keys for that organization. The secret is returned once.",
        body: createBody,
        response: { 201: apiKey.extend({ secret: z.string() }) },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      const body = request.body;
      if (!principal) throw forbidden("Authentication required.");
      // Root creates any key; an organization's owner (a signed-in user) creates keys for it.
      const allowed =
        principal.root ||
        (body.scope === "organization" &&
          principal.kind === "user" &&
          canActForOrganization({
            principal,
            organizationId: body.organizationId,
            roles: ["owner"],
          }));
      if (!allowed) {
        throw forbidden(
          body.scope === "root"
            ? "Only root may create root keys."
            : `Only root or an owner of ${body.organizationId} may create keys for it.`,
        );
      }
      // The key and its audit entry commit together.
      const { key, secret } = await db.transaction((tx) =>
        createApiKey({
          executor: tx,
          name: body.name,
          keyScope:
            body.scope === "root"
              ? { scope: "root" }
              : { scope: "organization", organizationId: body.organizationId },
          createdBy: principal.id,
          now: clock(),
        }),
      );
      return reply.code(201).send({ ...key, secret });
    },
  );

  app.get(
    "/v1/api-keys",
    {
      config: { access: access.root },
      schema: {
        tags: ["api keys"],
        summary: "List API keys",
        description:
          "Every API key, newest first, without secrets (a secret is shown once, when the key is created). Root only.",
        querystring: listQuery,
        response: { 200: listResponse(apiKey) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await db
        .select(publicColumns)
        .from(apiKeys)
        .where(cursor ? lt(apiKeys.id, cursor) : undefined)
        .orderBy(desc(apiKeys.id))
        .limit(limit + 1);
      return toPage(rows, limit);
    },
  );

  app.delete(
    "/v1/api-keys/:keyId",
    {
      config: { access: access.root },
      schema: {
        tags: ["api keys"],
        summary: "Revoke an API key",
        description:
          "The key stops authenticating. The key stays listed with its revocation time. Root only.",
        params: z.object({ keyId: z.string() }),
        response: { 200: apiKey },
      },
    },
    async (request) => {
      const { keyId } = request.params;
      const revoked = await revokeApiKey({
        db,
        keyId,
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      if (!revoked) throw notFound("API key", keyId);
      app.forgetApiKey(keyId);
      return revoked;
    },
  );
};
