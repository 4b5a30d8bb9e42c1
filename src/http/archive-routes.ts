import { z } from "zod";
import type { ArchivePreview } from "../admin/archive-preview.ts";
import { access } from "../auth/principal.ts";
import type { App } from "./app-types.ts";

const archivePreviewSchema = z.object({
  kind: z.enum(["plan", "addon", "pack", "coupon"]),
  id: z.string(),
  archived: z.boolean(),
  subscriptions: z
    .number()
    .int()
    .describe("Live subscriptions (trialing, active, past due) on the entry or its versions."),
  organizations: z.number().int().describe("Distinct organizations behind those subscriptions."),
  byVersion: z
    .array(z.object({ version: z.number().int(), subscriptions: z.number().int() }))
    .describe("For plans and add-ons: how many of those subscriptions are on each version."),
  redemptions: z.number().int().describe("Coupons: organizations that redeemed it; 0 otherwise."),
  affected: z
    .array(
      z.object({
        organizationId: z.string(),
        organizationName: z.string(),
        subscriptionId: z.string(),
        status: z.string(),
        version: z.number().int().nullable(),
      }),
    )
    .describe("The first 50 affected subscriptions, by organization id."),
});

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
  preview,
}: {
  app: App;
  /** The resource's path, ending with its parameter: `/v1/plans/:planId`. */
  path: `${string}/:${string}`;
  noun: string;
  response: z.ZodType;
  /** What archiving does, when it is not "hidden from new purchases, kept by existing subscriptions". */
  archivedMeans?: string;
  setArchived(args: { id: string; archived: boolean; actor: string }): Promise<unknown>;
  /** Adds `GET <path>/archive-preview`: who archiving (or unarchiving) the entry touches. */
  preview?(id: string): Promise<ArchivePreview>;
}) {
  const parameter = path.slice(path.lastIndexOf(":") + 1);
  if (preview) {
    app.get(
      `${path}/archive-preview`,
      {
        config: { access: access.root },
        schema: {
          tags: ["catalog"],
          summary: `Who archiving ${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun} affects`,
          description: `Read before archiving or unarchiving: the live subscriptions on the ${noun} (and its versions) with their organizations, the first 50 listed. Archiving changes nothing for them: they keep the ${noun} and its price at renewal; it is only hidden from new purchases. Changes nothing. Root only.`,
          params: z.object({ [parameter]: z.string() }),
          response: { 200: archivePreviewSchema },
        },
      },
      async (request) => preview((request.params as Record<string, string>)[parameter] ?? ""),
    );
  }
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
