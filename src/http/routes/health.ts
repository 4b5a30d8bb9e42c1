import { sql } from "drizzle-orm";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import type { RouteModule } from "../app-types.ts";

export const healthRoutes: RouteModule = (app, { db, isReady }) => {
  app.get(
    "/health",
    {
      config: { access: access.public },
      schema: {
        tags: ["system"],
        summary: "Liveness and readiness",
        description:
          "200 once the database is migrated and the worker runs; 503 before that or when the database is unreachable.",
        response: {
          200: z.object({ status: z.literal("ok") }),
          503: z.object({ status: z.enum(["starting", "unavailable"]) }),
        },
      },
    },
    async (_request, reply) => {
      if (!isReady()) return reply.code(503).send({ status: "starting" as const });
      try {
        await db.execute(sql`select 1`);
      } catch {
        return reply.code(503).send({ status: "unavailable" as const });
      }
      return { status: "ok" as const };
    },
  );
};
