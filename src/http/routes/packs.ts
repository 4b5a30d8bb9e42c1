import { z } from "zod";
import { previewArchive } from "../../admin/archive-preview.ts";
import { access } from "../../auth/principal.ts";
import type { Pack } from "../../catalog/catalog-types.ts";
import { createPack, getPack, listPacks, setPackArchived } from "../../catalog/packs.ts";
import { toMinor, toNumber } from "../../money/index.ts";
import type { RouteModule } from "../app-types.ts";
import { registerArchiveRoutes } from "../archive-routes.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import {
  amountInput,
  catalogKey,
  currencyInput,
  includeArchivedQuery,
  showsArchived,
} from "../schemas/catalog-schemas.ts";

const packSchema = z.object({
  id: z.string(),
  name: z.string(),
  feature: z.string(),
  quantity: z.number().int(),
  price: z.object({ currency: z.string(), unitAmount: z.number().int() }),
  expiresAfterDays: z.number().int().nullable(),
  archived: z.boolean(),
  archivedAt: z.date().nullable(),
  createdAt: z.date(),
});

const packResponse = (pack: Pack): z.infer<typeof packSchema> => ({
  ...pack,
  quantity: toNumber(pack.quantity),
  price: { currency: pack.price.currency, unitAmount: toNumber(pack.price.unitAmount) },
  archived: pack.archivedAt !== null,
});

/** Top-up packs: a quantity of a metered feature (e.g. encounters) bought with a one-off payment. */
export const packRoutes: RouteModule = (app, { db, clock }) => {
  app.post(
    "/v1/packs",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Create a pack",
        description:
          "A top-up of a metered feature bought once (e.g. 500 encounters for USD 60), with an optional expiry in days. Root only.",
        body: z.object({
          id: catalogKey,
          name: z.string().trim().min(1).max(200),
          feature: catalogKey,
          quantity: z.number().int().positive("must be at least 1").max(Number.MAX_SAFE_INTEGER),
          price: z.object({ currency: currencyInput, unitAmount: amountInput }),
          expiresAfterDays: z.number().int().positive().max(3650).optional(),
        }),
        response: { 201: packSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const pack = await createPack({
        db,
        input: {
          id: body.id,
          name: body.name,
          feature: body.feature,
          quantity: BigInt(body.quantity),
          price: { currency: body.price.currency, unitAmount: toMinor(body.price.unitAmount) },
          expiresAfterDays: body.expiresAfterDays ?? null,
        },
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return reply.code(201).send(packResponse(pack));
    },
  );

  app.get(
    "/v1/packs",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "List packs",
        description:
          "Packs on offer (archived ones too with `includeArchived=true`, root only). Any authenticated caller.",
        querystring: listQuery.extend(includeArchivedQuery.shape),
        response: { 200: listResponse(packSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listPacks({
        db,
        includeArchived: showsArchived(request),
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(packResponse) };
    },
  );

  app.get(
    "/v1/packs/:packId",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "Get a pack",
        description: "One pack by its id. Any authenticated caller.",
        params: z.object({ packId: z.string() }),
        response: { 200: packSchema },
      },
    },
    async (request) => packResponse(await getPack({ db, packId: request.params.packId })),
  );

  registerArchiveRoutes({
    app,
    path: "/v1/packs/:packId",
    noun: "pack",
    response: packSchema,
    preview: (id) => previewArchive({ db, kind: "pack", id }),
    setArchived: async ({ id, archived, actor }) =>
      packResponse(await setPackArchived({ db, packId: id, archived, actor, now: clock() })),
  });
};
