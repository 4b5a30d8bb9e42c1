import { z } from "zod";
import type { Principal } from "../../auth/principal.ts";
import type { Price } from "../../catalog/catalog-types.ts";
import { toMinor, toNumber } from "../../money/index.ts";

/** Shared request and response pieces of the catalog routes. Amounts cross the API as integers. */

export const catalogKey = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    "must be 1–64 letters, digits, '_', '.' or '-', starting with a letter or digit",
  );

/**
 * The largest catalog amount: 10^10 minor units (100 million in a two-decimal currency). Times the
 * largest add-on quantity (100,000), a line stays far inside the range every amount is computed and sent
 * in (PostgreSQL bigint, JSON's safe integers), so no invoice can overflow.
 */
export const maxCatalogAmount = 10_000_000_000;

export const amountInput = z
  .number({ error: "must be a number of minor units (e.g. 1999 for 19.99)" })
  .int("must be a whole number of minor units (e.g. 1999 for 19.99)")
  .min(0, "must not be negative")
  .max(maxCatalogAmount, "is too large: at most 10000000000 minor units");

export const currencyInput = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be a three-letter ISO 4217 code in upper case, e.g. USD");

export const intervalSchema = z.enum(["month", "year"]);

export const priceInput = z.object({
  interval: intervalSchema,
  currency: currencyInput,
  unitAmount: amountInput,
});

export const priceOutput = z.object({
  interval: intervalSchema,
  currency: z.string(),
  unitAmount: z.number().int(),
});

const featureValuesExample = { seats: 5, encounters: 500, api_access: true, projects: null };

export const featureValuesInput = z
  .record(catalogKey, z.union([z.boolean(), z.number().int("limits are whole numbers"), z.null()]))
  .meta({
    description: "Per feature key: `true`/`false`, a limit, or `null` for unlimited.",
    examples: [featureValuesExample],
  });

export const featureValuesOutput = z
  .record(z.string(), z.union([z.boolean(), z.number(), z.null()]))
  .meta({ examples: [featureValuesExample] });

export const includeArchivedQuery = z.object({
  includeArchived: z
    .enum(["true", "false"])
    .optional()
    .transform((value) => value === "true"),
});

/** Whether a list shows archived entries: only when root asks for them with `?includeArchived=true`. */
export const showsArchived = (request: {
  query: { includeArchived: boolean };
  principal?: Pick<Principal, "root"> | null;
}) => request.query.includeArchived && request.principal?.root === true;

/** `?version=N` of a versioned entry (plans, add-ons). */
export const versionQuery = z.object({ version: z.coerce.number().int().min(1).optional() });

/** A PATCH body of a versioned entry: any of its `fields`, at least one. */
export const changesBody = <Fields extends z.ZodRawShape>(fields: Fields) =>
  z
    .object(fields)
    .partial()
    .refine((body) => Object.values(body).some((value) => value !== undefined), {
      message: "send at least one field to change",
    });

export const toPrices = (prices: z.infer<typeof priceInput>[]): Price[] =>
  prices.map((price) => ({ ...price, unitAmount: toMinor(price.unitAmount) }));

export const fromPrices = (prices: Price[]) =>
  prices.map((price) => ({ ...price, unitAmount: toNumber(price.unitAmount) }));
