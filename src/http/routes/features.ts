import { z } from "zod";
import { access } from "../../auth/principal.ts";
import {
  createFeature,
  getFeature,
  listFeatures,
  setUsageThresholds,
} from "../../catalog/features.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { catalogKey } from "../schemas/catalog-schemas.ts";

const feature = z.object({
  key: z.string(),
  name: z.string(),
  kind: z.enum(["boolean", "limit", "metered"]),
  unit: z.string().nullable(),
  usageThresholds: z
    .array(z.int())
    .nullish()
    .describe(
      "Percentages of the limit at which `usage.threshold_reached` is published; null: 80 and 100",
    ),
  createdAt: z.date(),
});

/** Catalog features: what plans switch on (`boolean`), cap (`limit`) or meter per period (`metered`). */
export const featureRoutes: RouteModule = (app, { db, clock }) => {
  app.post(
    "/v1/features",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Define a feature",
        description:
          "A feature plans switch on (`boolean`), cap (`limit`, a live count the app reports up and down) or meter per period (`metered`, with a `unit`). Root only.",
        body: z.object({
          key: catalogKey,
          name: z.string().trim().min(1).max(200),
          kind: z.enum(["boolean", "limit", "metered"]),
          unit: z.string().trim().min(1).max(50).optional(),
        }),
        response: { 201: feature },
      },
    },
    async (request, reply) => {
      const { key, name, kind, unit } = request.body;
      const created = await createFeature({
        db,
        input: { key, name, kind, unit: unit ?? null },
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/v1/features",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "List features",
        description: "The catalog's features, by key. Any authenticated caller.",
        querystring: listQuery,
        response: { 200: listResponse(feature) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listFeatures({ db, limit: limit + 1, cursor });
      return toPage(rows, limit, (row) => row.key);
    },
  );

  app.get(
    "/v1/features/:feature",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "Get a feature",
        description: "One feature of the catalog by its key. Any authenticated caller.",
        params: z.object({ feature: z.string() }),
        response: { 200: feature },
      },
    },
    async (request) => getFeature({ db, key: request.params.feature }),
  );

  app.put(
    "/v1/features/:feature/usage-thresholds",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Set a feature's usage thresholds",
        description:
          "The percentages of a limit or metered feature's limit at which `usage.threshold_reached` is published (and the organization emailed), e.g. `[50, 80, 100]`; `null` restores the defaults, 80 and 100. Root only.",
        params: z.object({ feature: z.string() }),
        body: z.object({
          percents: z.array(z.int().min(1).max(1000)).min(1).max(10).nullable(),
        }),
        response: { 200: feature },
      },
    },
    async (request) =>
      setUsageThresholds({
        db,
        key: request.params.feature,
        percents: request.body.percents,
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      }),
  );
};
