import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { taxRates } from "../db/schema/index.ts";
import type { TaxCustomer } from "./tax-calculator.ts";
import type { TaxRateRow } from "./tax-rates.ts";

export interface AppliedTaxRate {
  rate: TaxRateRow;
  /** `explicit`: the organization's own `taxRateId`; `country_default`: its billing country's default. */
  source: "explicit" | "country_default";
}

/**
 * The catalog rate each customer pays, by organization id (docs/billing.md "Taxes"): none when exempt
 * (`exempt` or `reverse`); else its own `taxRateId` (even if archived since it was given); else the live
 * default of its billing country; else none. Two queries at most, however many customers.
 */
export async function resolveTaxRates({
  executor,
  customers,
}: {
  executor: Executor;
  customers: readonly TaxCustomer[];
}): Promise<Map<string, AppliedTaxRate>> {
  const taxed = customers.filter((customer) => customer.taxExempt === "none");
  const explicitIds = [
    ...new Set(taxed.flatMap((customer) => (customer.taxRateId ? [customer.taxRateId] : []))),
  ];
  const countries = [
    ...new Set(
      taxed.flatMap((customer) =>
        customer.taxRateId === null && customer.country ? [customer.country] : [],
      ),
    ),
  ];
  const explicit = explicitIds.length
    ? await executor.select().from(taxRates).where(inArray(taxRates.id, explicitIds))
    : [];
  const defaults = countries.length
    ? await executor
        .select()
        .from(taxRates)
        .where(
          and(
            inArray(taxRates.country, countries),
            eq(taxRates.countryDefault, true),
            isNull(taxRates.archivedAt),
          ),
        )
    : [];
  const byId = new Map(explicit.map((rate) => [rate.id, rate]));
  const byCountry = new Map(defaults.map((rate) => [rate.country, rate]));
  const applied = new Map<string, AppliedTaxRate>();
  for (const customer of taxed) {
    if (customer.taxRateId !== null) {
      const rate = byId.get(customer.taxRateId);
      if (rate) applied.set(customer.organizationId, { rate, source: "explicit" });
    } else if (customer.country !== null) {
      const rate = byCountry.get(customer.country);
      if (rate) applied.set(customer.organizationId, { rate, source: "country_default" });
    }
  }
  return applied;
}
