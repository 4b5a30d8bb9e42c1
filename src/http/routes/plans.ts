import { z } from "zod";
import { previewArchive } from "../../admin/archive-preview.ts";
import { access } from "../../auth/principal.ts";
import type { Plan, PlanDefinition } from "../../catalog/catalog-types.ts";
import { loadFeatureMap } from "../../catalog/features.ts";
import {
  createPlan,
  getPlan,
  listPlans,
  setPlanArchived,
  updatePlan,
} from "../../catalog/plans.ts";
import { validationError } from "../../errors.ts";
import { toMinor, toNumber } from "../../money/index.ts";
import type { RouteModule } from "../app-types.ts";
import { registerArchiveRoutes } from "../archive-routes.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import {
  amountInput,
  catalogKey,
  changesBody,
  currencyInput,
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

const planFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  tier: z.number().int().min(0).max(1_000_000).optional(),
  prices: z.array(priceInput).min(1, "add at least one price").max(50),
  trialDays: z.number().int().min(0).max(730).optional(),
  features: featureValuesInput,
  overage: z
    .record(catalogKey, z.object({ unitAmount: amountInput, currency: currencyInput }))
    .optional(),
};

const createBody = z.object({ id: catalogKey, ...planFields });
const updateBody = changesBody(planFields);

export const planSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  currentVersion: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  tier: z.number().int(),
  prices: z.array(priceOutput),
  trialDays: z.number().int(),
  features: featureValuesOutput,
  overage: z.record(z.string(), z.object({ unitAmount: z.number().int(), currency: z.string() })),
  archived: z.boolean(),
  archivedAt: z.date().nullable(),
  createdAt: z.date(),
  versionCreatedAt: z.date(),
});

/** What the public pricing page shows of a plan: no archive or version history. */
const publicPlanSchema = planSchema.pick({
  id: true,
  version: true,
  name: true,
  description: true,
  tier: true,
  prices: true,
  trialDays: true,
  features: true,
  overage: true,
});

export function planResponse(plan: Plan): z.infer<typeof planSchema> {
  return {
    ...plan,
    prices: fromPrices(plan.prices),
    overage: Object.fromEntries(
      Object.entries(plan.overage).map(([key, price]) => [
        key,
        { currency: price.currency, unitAmount: toNumber(price.unitAmount) },
      ]),
    ),
    archived: plan.archivedAt !== null,
  };
}

function toOverage(overage: Record<string, { unitAmount: number; currency: string }>) {
  return Object.fromEntries(
    Object.entries(overage).map(([key, price]) => [
      key,
      { currency: price.currency, unitAmount: toMinor(price.unitAmount) },
    ]),
  );
}

const planParams = z.object({ planId: z.string() });

/** Plans ("Plan Settings"): root edits, every authenticated caller reads. Edits create versions. */
export const planRoutes: RouteModule = (app, { db, clock }) => {
  app.post(
    "/v1/plans",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Create a plan",
        description:
          "Version 1 of a plan: its prices per interval and currency, trial days, feature values (`true`/`false`, a limit, or `null` for unlimited) and overage prices for metered features. Every feature it names must exist. Root only.",
        body: createBody,
        response: { 201: planSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const definition: PlanDefinition = {
        name: body.name,
        description: body.description ?? null,
        tier: body.tier ?? 0,
        trialDays: body.trialDays ?? 0,
        prices: toPrices(body.prices),
        features: body.features,
        overage: toOverage(body.overage ?? {}),
      };
      const plan = await createPlan({
        db,
        id: body.id,
        definition,
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return reply.code(201).send(planResponse(plan));
    },
  );

  app.patch(
    "/v1/plans/:planId",
    {
      config: { access: access.root },
      schema: {
        tags: ["catalog"],
        summary: "Edit a plan (creates a new version)",
        description:
          "Fields not sent keep their current values. Existing subscriptions stay on the version they bought.",
        params: planParams,
        body: updateBody,
        response: { 200: planSchema },
      },
    },
    async (request) => {
      const body = request.body;
      // Fields not sent stay undefined: updatePlan keeps their current values.
      const changes: Partial<PlanDefinition> = {
        ...body,
        prices: body.prices && toPrices(body.prices),
        overage: body.overage && toOverage(body.overage),
      };
      const plan = await updatePlan({
        db,
        planId: request.params.planId,
        changes,
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return planResponse(plan);
    },
  );

  app.get(
    "/v1/plans",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "List plans",
        description:
          "Current versions ordered by tier, then id. Archived plans are hidden unless root asks for them with includeArchived=true.",
        querystring: listQuery.extend(includeArchivedQuery.shape),
        response: { 200: listResponse(planSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listPlans({
        db,
        includeArchived: showsArchived(request),
        limit: limit + 1,
        cursor: cursor === undefined ? undefined : parsePlanCursor(cursor),
      });
      const page = toPage(rows, limit, (plan) => `${plan.tier}:${plan.id}`);
      return { ...page, data: page.data.map(planResponse) };
    },
  );

  app.get(
    "/v1/plans/:planId",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "Get a plan",
        description: "The current version, or an earlier one with ?version=N.",
        params: planParams,
        querystring: versionQuery,
        response: { 200: planSchema },
      },
    },
    async (request) =>
      planResponse(
        await getPlan({ db, planId: request.params.planId, version: request.query.version }),
      ),
  );

  app.get(
    "/v1/public/plans",
    {
      config: { access: access.public },
      schema: {
        tags: ["catalog"],
        summary: "The plans on offer (public pricing)",
        description:
          "For a public pricing page: the current versions of the plans on offer (archived plans never), ordered by tier, with the catalog's features they name (`features`: key, name, kind, unit). No authentication.",
        querystring: listQuery,
        response: {
          200: listResponse(publicPlanSchema).extend({
            features: z.array(
              z.object({
                key: z.string(),
                name: z.string(),
                kind: z.enum(["boolean", "limit", "metered"]),
                unit: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await listPlans({
        db,
        includeArchived: false,
        limit: limit + 1,
        cursor: cursor === undefined ? undefined : parsePlanCursor(cursor),
      });
      const page = toPage(rows, limit, (plan) => `${plan.tier}:${plan.id}`);
      const catalogFeatures = await loadFeatureMap(db);
      const named = new Set(page.data.flatMap((plan) => Object.keys(plan.features)));
      return {
        ...page,
        data: page.data.map((plan) => publicPlanSchema.parse(planResponse(plan))),
        features: [...catalogFeatures.values()]
          .filter((feature) => named.has(feature.key))
          .map(({ key, name, kind, unit }) => ({ key, name, kind, unit })),
      };
    },
  );

  registerArchiveRoutes({
    app,
    path: "/v1/plans/:planId",
    noun: "plan",
    response: planSchema,
    preview: (id) => previewArchive({ db, kind: "plan", id }),
    setArchived: async ({ id, archived, actor }) =>
      planResponse(await setPlanArchived({ db, planId: id, archived, actor, now: clock() })),
  });
};

/** `<tier>:<id>` of the last plan of the previous page; the tier must fit the tier column (int4). */
function parsePlanCursor(cursor: string): { tier: number; id: string } {
  const match = /^(-?\d{1,10}):(.*)$/s.exec(cursor);
  const tier = Number(match?.[1]);
  if (match?.[2] === undefined || tier < -2_147_483_648 || tier > 2_147_483_647) {
    throw validationError("cursor: use the nextCursor value of the previous page");
  }
  return { tier, id: match[2] };
}
