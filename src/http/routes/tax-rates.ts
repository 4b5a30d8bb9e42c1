import { z } from "zod";
import { access } from "../../auth/principal.ts";
import {
  createTaxRate,
  getTaxRate,
  listTaxRates,
  setTaxRateArchived,
  type TaxRate,
} from "../../taxes/tax-rates.ts";
import type { RouteModule } from "../app-types.ts";
import { registerArchiveRoutes } from "../archive-routes.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { catalogKey, includeArchivedQuery, showsArchived } from "../schemas/catalog-schemas.ts";

export const countryInput = z
  .string()
  .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code in upper case, e.g. AR or ES");

export const taxPercentageInput = z
  .string()
  .regex(
    /^[0-9]{1,3}(\.[0-9]{1,4})?$/,
    'must be a decimal string from 0 to 100 with at most 4 decimals, written with a point, e.g. "21" or "10.5"',
  )
  .meta({ examples: ["21", "10.5"] });

export const taxRateSchema = z
  .object({
    id: z.string(),
    name: z.string().describe('What the invoice calls the tax, e.g. "IVA".'),
    percentage: z
      .string()
      .describe('The rate as an exact decimal string in its shortest form: "21", "10.5".'),
    country: z.string().describe("ISO 3166-1 alpha-2."),
    inclusive: z
      .boolean()
      .describe(
        "`true`: prices include the tax, which is extracted (tax = amount × p / (100 + p)); `false`: the tax is added (amount × p / 100).",
      ),
    countryDefault: z
      .boolean()
      .describe(
        "Applies to organizations billed in `country` that have no `taxRateId` of their own. One live default per country.",
      ),
    archived: z.boolean(),
    archivedAt: z.date().nullable(),
    createdAt: z.date(),
  })
  .meta({
    examples: [
      {
        id: "ar-iva-21",
        name: "IVA",
        percentage: "21",
        country: "AR",
        inclusive: false,
        countryDefault: true,
        archived: false,
        archivedAt: null,
        createdAt: "2026-01-01T00:00:00.000Z",
      },
    ],
  });

const taxRateResponse = (rate: TaxRate): z.infer<typeof taxRateSchema> => ({
  id: rate.id,
  name: rate.name,
  percentage: rate.percentage,
  country: rate.country,
  inclusive: rate.inclusive,
  countryDefault: rate.countryDefault,
  archived: rate.archivedAt !== null,
  archivedAt: rate.archivedAt,
  createdAt: rate.createdAt,
});

/** Tax rates (docs/billing.md "Taxes"): created and archived by root, read by anyone signed in. */
export const taxRateRoutes: RouteModule = (app, { db, clock }) => {
  app.post(
    "/v1/tax-rates",
    {
      config: { access: access.root, errors: ["conflict"] },
      schema: {
        tags: ["catalog"],
        summary: "Create a tax rate",
        description:
          "A percentage (a decimal string with up to 4 decimals, stored exactly) for a country, added to prices (`inclusive: false`) or already inside them (`inclusive: true`). The first live rate of a country becomes its default unless `countryDefault: false`; organizations billed in that country pay it unless their billing details name another rate (`taxRateId`) or exempt them. A second default for a country answers 409. Rates never change: archive one and create another. Root only; audited as `catalog.tax_rate_created`.",
        body: z
          .object({
            id: catalogKey,
            name: z.string().trim().min(1).max(100),
            percentage: taxPercentageInput,
            country: countryInput,
            inclusive: z.boolean().default(false),
            countryDefault: z.boolean().optional(),
          })
          .meta({
            examples: [
              { id: "ar-iva-21", name: "IVA", percentage: "21", country: "AR", inclusive: false },
              {
                id: "ar-iva-10-5",
                name: "IVA",
                percentage: "10.5",
                country: "AR",
                inclusive: false,
                countryDefault: false,
              },
              { id: "es-iva-21", name: "IVA", percentage: "21", country: "ES", inclusive: true },
            ],
          }),
        response: { 201: taxRateSchema },
      },
    },
    async (request, reply) => {
      const rate = await createTaxRate({
        db,
        input: { ...request.body, countryDefault: request.body.countryDefault },
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return reply.code(201).send(taxRateResponse(rate));
    },
  );

  app.get(
    "/v1/tax-rates",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "List tax rates",
        description:
          "Live tax rates by id (archived ones too with `includeArchived=true`), optionally only one `country`'s.",
        querystring: listQuery.extend(includeArchivedQuery.shape).extend({
          country: countryInput.optional(),
        }),
        response: { 200: listResponse(taxRateSchema) },
      },
    },
    async (request) => {
      const { limit, cursor, country } = request.query;
      const rows = await listTaxRates({
        db,
        includeArchived: showsArchived(request),
        country,
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit, (rate) => rate.id);
      return { ...page, data: page.data.map(taxRateResponse) };
    },
  );

  app.get(
    "/v1/tax-rates/:taxRateId",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["catalog"],
        summary: "Get a tax rate",
        description: "One tax rate, archived or not.",
        params: z.object({ taxRateId: z.string() }),
        response: { 200: taxRateSchema },
      },
    },
    async (request) =>
      taxRateResponse(await getTaxRate({ executor: db, taxRateId: request.params.taxRateId })),
  );

  registerArchiveRoutes({
    app,
    path: "/v1/tax-rates/:taxRateId",
    noun: "tax rate",
    response: taxRateSchema,
    archivedMeans:
      "The rate stops being its country's default and cannot be given to organizations any more; organizations that were given it explicitly (`taxRateId`) keep paying it until their billing details change. Unarchiving a country default answers 409 when the country has another default by then.",
    setArchived: async ({ id, archived, actor }) =>
      taxRateResponse(
        await setTaxRateArchived({ db, taxRateId: id, archived, actor, now: clock() }),
      ),
  });
};
