import { z } from "zod";
import { previewArchive } from "../../admin/archive-preview.ts";
import { access } from "../../auth/principal.ts";
import {
  createAddon,
  getAddon,
  listAddons,
  setAddonArchived,
  updateAddon,
} from "../../catalog/addons.ts";
import type { Addon, AddonDefinition } from "../../catalog/catalog-types.ts";
import type { RouteModule } from "../app-types.ts";
import { registerArchiveRoutes } from "../archive-routes.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import {
  catalogKey,
  changesBody,
  featureValuesInput,
  featureValuesOutput,
  fromPrices,
  includeArchivedQuery,
  priceInput,
  priceOutput,
  showsArchived,
  toPrices,
  versionQuery,
} from "../schemas/catalog-schemas.ts";

const addonSchema = z.object({
  id: z.string(),
  kind: z.enum(["license", "service"]),
  version: z.number().int(),
  currentVersion: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  prices: z.array(priceOutput),
  features: featureValuesOutput,
  archived: z.boolean(),
  archivedAt: z.date().nullable(),
  createdAt: z.date(),
  versionCreatedAt: z.date(),
});

const addonResponse = (addon: Addon): z.infer<typeof addonSchema> => ({
  ...addon,
  prices: fromPrices(addon.prices),
  archived: addon.archivedAt !== null,
});

const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  prices: z.array(priceInput).min(1, "add at least one price").max(50),
  features: featureValuesInput,
};

/** Add-ons: licenses (`license`, e.g. extra seats) and services (`service`) sold on top of a plan. */
export const addonRoutes: RouteModule = (app, { db, clock }) => {
  app.post(
    "/v1/addons",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Create an add-on",
        description:
          "`features` says what one unit adds: `true` enables a boolean feature, a positive integer raises a limit or allowance.",
        body: z.object({ id: catalogKey, kind: z.enum(["license", "service"]), ...fields }),
        response: { 201: addonSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const addon = await createAddon({
        db,
        id: body.id,
        kind: body.kind,
        definition: {
          name: body.name,
          description: body.description ?? null,
          prices: toPrices(body.prices),
          features: body.features,
        },
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return reply.code(201).send(addonResponse(addon));
    },
  );

  app.patch(
    "/v1/addons/:addonId",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Edit an add-on (creates a new version)",
        description:
          "Writes the next version; fields left out keep their values. Live subscriptions keep the version they bought. Root only.",
        params: z.object({ addonId: z.string() }),
        body: changesBody(fields),
        response: { 200: addonSchema },
      },
    },
    async (request) => {
      const body = request.body;
      // Fields not sent stay undefined: updateAddon keeps their current values.
      const changes: Partial<AddonDefinition> = {
        ...body,
        prices: body.prices && toPrices(body.prices),
      };
      return addonResponse(
        await updateAddon({
          db,
          addonId: request.params.addonId,
          changes,
          actor: request.principal?.id ?? "unknown",
          now: clock(),
        }),
      );
    },
  );

  app.get(
    "/v1/addons",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "List add-ons",
        description:
          "Add-ons on offer (archived ones too with `includeArchived=true`, root only). Any authenticated caller.",
        querystring: listQuery.extend(includeArchivedQuery.shape),
        response: { 200: listResponse(addonSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listAddons({
        db,
        includeArchived: showsArchived(request),
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(addonResponse) };
    },
  );

  app.get(
    "/v1/addons/:addonId",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "Get an add-on",
        description:
          "The add-on's latest version, or the one asked for with `version`. Any authenticated caller.",
        params: z.object({ addonId: z.string() }),
        querystring: versionQuery,
        response: { 200: addonSchema },
      },
    },
    async (request) =>
      addonResponse(
        await getAddon({ db, addonId: request.params.addonId, version: request.query.version }),
      ),
  );

  registerArchiveRoutes({
    app,
    path: "/v1/addons/:addonId",
    noun: "add-on",
    response: addonSchema,
    preview: (id) => previewArchive({ db, kind: "addon", id }),
    setArchived: async ({ id, archived, actor }) =>
      addonResponse(await setAddonArchived({ db, addonId: id, archived, actor, now: clock() })),
  });
};
