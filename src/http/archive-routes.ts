import { z } from "zod";
import { access } from "../auth/principal.ts";
import type { App } from "./app-types.ts";

/**
 * `POST <path>/archive` and `POST <path>/unarchive` for a catalog resource. Archived entries stay readable
 * and keep serving existing subscriptions; they are only hidden from new purchases.
 */
export function registerArchiveRoutes({
  app,
  path,
  noun,
  response,
  setArchived,
}: {
  app: App;
  /** e.g. `/v1/plans/:id` */
  path: string;
  noun: string;
  response: z.ZodType;
  setArchived(args: { id: string; archived: boolean; actor: string }): Promise<unknown>;
}) {
  for (const [action, archived] of [
    ["archive", true],
    ["unarchive", false],
  ] as const) {
    app.post(
      `${path}/${action}`,
      {
        config: { access: access.root },
        schema: {
          tags: ["catalog"],
          summary: archived
            ? `Archive a ${noun} (hidden from new purchases)`
            : `Offer an archived ${noun} again`,
          params: z.object({ id: z.string() }),
          response: { 200: response },
        },
      },
      // The response schema is the resource's own, so the serializer checks the shape at run time.
      async (request, reply) => {
        const result = await setArchived({
          id: request.params.id,
          archived,
          actor: request.principal?.id ?? "unknown",
        });
        return reply.send(result as never);
      },
    );
  }
}
