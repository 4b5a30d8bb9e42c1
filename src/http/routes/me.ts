import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { forbidden } from "../../errors.ts";
import type { RouteModule } from "../app-types.ts";

/** Who the server thinks the caller is: useful to check a key or a token's role mapping. */
export const meRoutes: RouteModule = (app) => {
  app.get(
    "/v1/me",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["api keys"],
        summary: "The authenticated caller",
        description:
          "Who the server takes the caller to be: the key or user id, whether it is root, and its roles per organization. Use it to check an API key or how a JWT's claims map to roles.",
        response: {
          200: z.object({
            id: z.string(),
            kind: z.enum(["api_key", "user", "portal_session"]),
            root: z.boolean(),
            organizationId: z.string().nullable(),
            organizations: z.array(
              z.object({ organizationId: z.string(), roles: z.array(z.string()) }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw forbidden("Authentication required.");
      return {
        id: principal.id,
        kind: principal.kind,
        root: principal.root,
        organizationId: principal.apiKeyOrganizationId,
        organizations: [...principal.organizationRoles].map(([organizationId, roles]) => ({
          organizationId,
          roles: [...roles],
        })),
      };
    },
  );
};
