import { and, asc, eq, isNull } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { listFilter } from "../catalog/catalog-queries.ts";
import { setEntryArchived } from "../catalog/set-entry-archived.ts";
import type { Database, Executor } from "../db/database.ts";
import { isUniqueViolation } from "../db/is-unique-violation.ts";
import { taxRates } from "../db/schema/index.ts";
import { conflict, invalidEntry, notFound } from "../errors.ts";
import { formatTaxPercentage, MoneyError, parseTaxPercentage } from "../money/index.ts";
import { isCountryCode } from "./country-codes.ts";

export type TaxRateRow = typeof taxRates.$inferSelect;

/** A tax rate as the API shows it: the percentage in its shortest exact form ("21", "10.5"). */
export interface TaxRate extends Omit<TaxRateRow, "percentage"> {
  percentage: string;
}

export interface TaxRateInput {
  id: string;
  name: string;
  /** A decimal string with up to 4 decimals, 0–100: "21", "10.5". */
  percentage: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** Prices already include this tax (it is extracted) instead of having it added. */
  inclusive: boolean;
  /** Whether it applies to organizations billed in `country` without a rate of their own; unset: when the country has no default yet. */
  countryDefault: boolean | undefined;
}

const oneDefaultPerCountry = "tax_rates_one_default_per_country_idx";

export function toTaxRate(row: TaxRateRow): TaxRate {
  return { ...row, percentage: formatTaxPercentage(parseTaxPercentage(row.percentage)) };
}

/** Pure rules a tax rate must satisfy before it is stored. */
export function validateTaxRateInput(input: TaxRateInput): string[] {
  const problems: string[] = [];
  try {
    parseTaxPercentage(input.percentage);
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
    problems.push(`percentage: ${error.message}`);
  }
  if (!isCountryCode(input.country)) {
    problems.push(
      `country: ${JSON.stringify(input.country)} is not an ISO 3166-1 alpha-2 country code; use two upper-case letters such as AR, ES or MX`,
    );
  }
  return problems;
}

/**
 * Creates a tax rate (audited as `catalog.tax_rate_created`). Without `countryDefault` it becomes its
 * country's default when the country has none; a second default for a country is a 409 naming the first.
 */
export async function createTaxRate({
  db,
  input,
  actor,
  now,
}: {
  db: Database;
  input: TaxRateInput;
  actor: string;
  now: Date;
}): Promise<TaxRate> {
  const problems = validateTaxRateInput(input);
  if (problems.length > 0) throw invalidEntry("The tax rate", problems);
  return db.transaction(async (tx) => {
    const existingDefault = await countryDefaultRate({ executor: tx, country: input.country });
    const countryDefault = input.countryDefault ?? existingDefault === null;
    if (countryDefault && existingDefault !== null) {
      throw defaultTaken({ country: input.country, existing: existingDefault.id });
    }
    const [created] = await tx
      .insert(taxRates)
      .values({
        id: input.id,
        name: input.name,
        percentage: formatTaxPercentage(parseTaxPercentage(input.percentage)),
        country: input.country,
        inclusive: input.inclusive,
        countryDefault,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning()
      .catch((error: unknown) => {
        // Another request made a default for the country between the read and this insert.
        if (isUniqueViolation(error, oneDefaultPerCountry)) {
          throw defaultTaken({ country: input.country, existing: null });
        }
        throw error;
      });
    if (!created) {
      throw conflict(
        `A tax rate with id "${input.id}" already exists; choose another id (a rate never changes: archive the old one and create a new one).`,
        { id: input.id },
      );
    }
    const rate = toTaxRate(created);
    await recordAudit({
      executor: tx,
      entry: { action: "catalog.tax_rate_created", actor, organizationId: null, after: rate },
      now,
    });
    return rate;
  });
}

export async function getTaxRate({
  executor,
  taxRateId,
}: {
  executor: Executor;
  taxRateId: string;
}): Promise<TaxRate> {
  const [row] = await executor.select().from(taxRates).where(eq(taxRates.id, taxRateId));
  if (!row) throw notFound("Tax rate", taxRateId);
  return toTaxRate(row);
}

export async function listTaxRates({
  db,
  includeArchived,
  country,
  limit,
  cursor,
}: {
  db: Database;
  includeArchived: boolean;
  country: string | undefined;
  limit: number;
  cursor: string | undefined;
}): Promise<TaxRate[]> {
  const rows = await db
    .select()
    .from(taxRates)
    .where(
      and(
        listFilter({ archivedAt: taxRates.archivedAt, includeArchived, key: taxRates.id, cursor }),
        country === undefined ? undefined : eq(taxRates.country, country),
      ),
    )
    .orderBy(asc(taxRates.id))
    .limit(limit);
  return rows.map(toTaxRate);
}

/** The live default rate of `country`, if it has one. */
export async function countryDefaultRate({
  executor,
  country,
}: {
  executor: Executor;
  country: string;
}): Promise<TaxRateRow | null> {
  const [row] = await executor
    .select()
    .from(taxRates)
    .where(
      and(
        eq(taxRates.country, country),
        eq(taxRates.countryDefault, true),
        isNull(taxRates.archivedAt),
      ),
    );
  return row ?? null;
}

/**
 * Archives a rate (it is no longer its country's default and cannot be given to an organization; the
 * organizations that were given it explicitly keep it) or offers it again. Audited as
 * `catalog.tax_rate_archived` / `_unarchived`.
 */
export async function setTaxRateArchived({
  db,
  taxRateId,
  archived,
  actor,
  now,
}: {
  db: Database;
  taxRateId: string;
  archived: boolean;
  actor: string;
  now: Date;
}): Promise<TaxRate> {
  try {
    await setEntryArchived({
      db,
      table: taxRates,
      key: taxRates.id,
      id: taxRateId,
      noun: "Tax rate",
      auditName: "tax_rate",
      archived,
      actor,
      now,
    });
  } catch (error) {
    if (isUniqueViolation(error, oneDefaultPerCountry)) {
      const rate = await getTaxRate({ executor: db, taxRateId });
      const existing = await countryDefaultRate({ executor: db, country: rate.country });
      throw defaultTaken({ country: rate.country, existing: existing?.id ?? null });
    }
    throw error;
  }
  return getTaxRate({ executor: db, taxRateId });
}

function defaultTaken({ country, existing }: { country: string; existing: string | null }) {
  return conflict(
    `${country} already has a default tax rate${existing ? ` ("${existing}")` : ""}; a country has one. Send "countryDefault": false to create a rate organizations get explicitly (taxRateId in their billing details), or archive the current default first.`,
    { country, ...(existing ? { existingDefault: existing } : {}) },
  );
}
