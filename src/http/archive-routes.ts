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
  archivedMeans,
  setArchived,
}: {
  app: App;
  /** The resource's path, ending with its parameter: `/v1/plans/:planId`. */
  path: `${string}/:${string}`;
  noun: string;
  response: z.ZodType;
  /** What archiving does, when it is not "hidden from new purchases, kept by existing subscriptions". */
  archivedMeans?: string;
  setArchived(args: { id: string; archived: boolean; actor: string }): Promise<unknown>;
}) {
  const parameter = path.slice(path.lastIndexOf(":") + 1);
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
            ? `Archive ${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun} (hidden from new purchases)`
            : `Offer an archived ${noun} again`,
          description: archived
            ? `${archivedMeans ?? `Hides the ${noun} from new purchases; existing subscriptions and purchases keep it, and it stays readable.`} Root only.`
            : `Undoes an archive: the ${noun} is offered for new purchases again. Root only.`,
          params: z.object({ [parameter]: z.string() }),
          response: { 200: response },
        },
      },
      // The response schema is the resource's own, so the serializer checks the shape at run time.
      async (request, reply) => {
        const result = await setArchived({
          id: (request.params as Record<string, string>)[parameter] ?? "",
          archived,
          actor: request.principal?.id ?? "unknown",
        });
        return reply.send(result as never);
      },
    );
  }
}
