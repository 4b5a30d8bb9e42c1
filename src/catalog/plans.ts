import { and, asc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { Database, Executor } from "../db/database.ts";
import { planOveragePrices, planPrices, plans, planVersions } from "../db/schema/index.ts";
import { tupleIn } from "../db/tuple-in.ts";
import { groupBy, versionKey } from "./catalog-queries.ts";
import type { Plan, PlanDefinition, Price } from "./catalog-types.ts";
import { setEntryArchived } from "./set-entry-archived.ts";
import {
  validateFeatureValues,
  validateOverage,
  validatePrices,
} from "./validate-catalog-entry.ts";
import { versionedEntries } from "./versioned-entries.ts";

type LoadedVersion = Omit<Plan, "currentVersion" | "archivedAt" | "createdAt">;

const planEntries = versionedEntries<PlanDefinition, LoadedVersion, typeof plans.$inferSelect>({
  noun: "plan",
  aNoun: "A plan",
  auditName: "plan",
  path: "/v1/plans",
  heads: plans,
  problemsOf: ({ definition, features }) => [
    ...validatePrices({ prices: definition.prices }),
    ...validateFeatureValues({ values: definition.features, features, owner: "plan" }),
    ...validateOverage({
      overage: definition.overage,
      values: definition.features,
      features,
      priceCurrencies: new Set(definition.prices.map((price) => price.currency)),
    }),
  ],
  async insertVersion(executor, { id: planId, version, definition, now }) {
    await executor.insert(planVersions).values({
      planId,
      version,
      name: definition.name,
      description: definition.description,
      tier: definition.tier,
      trialDays: definition.trialDays,
      features: definition.features,
      createdAt: now,
    });
    await executor
      .insert(planPrices)
      .values(definition.prices.map((price) => ({ planId, version, ...price })));
    const overage = Object.entries(definition.overage);
    if (overage.length > 0) {
      await executor
        .insert(planOveragePrices)
        .values(overage.map(([featureKey, price]) => ({ planId, version, featureKey, ...price })));
    }
  },
  loadVersions: (executor, references) =>
    loadPlanVersions(
      executor,
      references.map(({ id, version }) => ({ planId: id, version })),
    ),
  // Each head with its current version and the versions asked for (a few rows at most); the prices come
  // as JSON arrays, amounts as text so that no bigint loses precision.
  async loadHeadsWithVersions(executor, { ids, versions }) {
    const rows = await executor
      .select({
        head: plans,
        version: planVersions,
        prices: sql<[Price["interval"], string, string][]>`coalesce((
          select json_agg(json_build_array(${planPrices.interval}, ${planPrices.currency}, ${planPrices.unitAmount}::text)
                          order by ${planPrices.interval}, ${planPrices.currency})
            from ${planPrices}
           where ${planPrices.planId} = ${planVersions.planId} and ${planPrices.version} = ${planVersions.version}
        ), '[]'::json)`,
        overage: sql<[string, string, string][]>`coalesce((
          select json_agg(json_build_array(${planOveragePrices.featureKey}, ${planOveragePrices.currency}, ${planOveragePrices.unitAmount}::text)
                          order by ${planOveragePrices.featureKey})
            from ${planOveragePrices}
           where ${planOveragePrices.planId} = ${planVersions.planId} and ${planOveragePrices.version} = ${planVersions.version}
        ), '[]'::json)`,
      })
      .from(plans)
      .leftJoin(
        planVersions,
        and(
          eq(planVersions.planId, plans.id),
          versions.length === 0
            ? eq(planVersions.version, plans.currentVersion)
            : or(
                eq(planVersions.version, plans.currentVersion),
                and(
                  inArray(planVersions.version, versions),
                  sql`${planVersions.version} <= ${plans.currentVersion}`,
                ),
              ),
        ),
      )
      .where(inArray(plans.id, ids));
    return rows.map(({ head, version, prices, overage }) => ({
      head,
      version:
        version &&
        loadedVersion(
          version,
          prices.map(([interval, currency, unitAmount]) => ({
            interval,
            currency,
            unitAmount: BigInt(unitAmount),
          })),
          overage.map(([featureKey, currency, unitAmount]) => ({
            featureKey,
            currency,
            unitAmount: BigInt(unitAmount),
          })),
        ),
    }));
  },
  definitionOf: ({ name, description, tier, trialDays, prices, features, overage }) => ({
    name,
    description,
    tier,
    trialDays,
    prices,
    features,
    overage,
  }),
});

/** Creates a plan at version 1 (audited as `catalog.plan_created` by `actor`). */
export function createPlan({
  db,
  id,
  definition,
  actor = "system",
  now,
}: {
  db: Database;
  id: string;
  definition: PlanDefinition;
  actor?: string;
  now: Date;
}): Promise<Plan> {
  return planEntries.create({ db, id, head: {}, definition, actor, now });
}

/**
 * Edits a plan by writing its next version; the previous versions stay as they were, so subscriptions
 * that reference them keep their prices and features. Audited as `catalog.plan_updated` by `actor`.
 */
export function updatePlan({
  db,
  planId,
  changes,
  actor = "system",
  now,
}: {
  db: Database;
  planId: string;
  changes: Partial<PlanDefinition>;
  actor?: string;
  now: Date;
}): Promise<Plan> {
  return planEntries.update({ db, id: planId, changes, actor, now });
}

/** Hides a plan from new purchases, or offers it again (audited by `actor`). */
export async function setPlanArchived({
  db,
  planId,
  archived,
  actor = "system",
  now,
}: {
  db: Database;
  planId: string;
  archived: boolean;
  actor?: string;
  now: Date;
}): Promise<Plan> {
  await setEntryArchived({
    db,
    table: plans,
    key: plans.id,
    id: planId,
    noun: "Plan",
    auditName: "plan",
    archived,
    actor,
    now,
  });
  return getPlan({ db, planId });
}

/** A plan at its current version, or at `version` when given (old versions stay readable). */
export function getPlan({
  db,
  planId,
  version,
}: {
  db: Executor;
  planId: string;
  version?: number | undefined;
}): Promise<Plan> {
  return planEntries.get({ db, id: planId, version });
}

/** Current versions, ordered by tier then id. Archived plans only when asked for. */
export async function listPlans({
  db,
  includeArchived,
  limit,
  cursor,
}: {
  db: Database;
  includeArchived: boolean;
  limit: number;
  cursor?: { tier: number; id: string } | undefined;
}): Promise<Plan[]> {
  const rows = await db
    .select({ plan: plans })
    .from(plans)
    .innerJoin(
      planVersions,
      and(eq(planVersions.planId, plans.id), eq(planVersions.version, plans.currentVersion)),
    )
    .where(
      and(
        includeArchived ? undefined : isNull(plans.archivedAt),
        cursor
          ? or(
              gt(planVersions.tier, cursor.tier),
              and(eq(planVersions.tier, cursor.tier), gt(plans.id, cursor.id)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(planVersions.tier), asc(plans.id))
    .limit(limit);
  return planEntries.withCurrentVersions(
    db,
    rows.map(({ plan }) => plan),
  );
}

/** Several plan versions with their prices in three queries, in the order asked for. */
export async function loadPlanVersions(
  executor: Executor,
  references: { planId: string; version: number }[],
): Promise<LoadedVersion[]> {
  if (references.length === 0) return [];
  const tuples = references.map(({ planId, version }) => [planId, version]);
  const rows = await executor
    .select()
    .from(planVersions)
    .where(tupleIn([planVersions.planId, planVersions.version], tuples));
  const prices = await executor
    .select()
    .from(planPrices)
    .where(tupleIn([planPrices.planId, planPrices.version], tuples))
    .orderBy(asc(planPrices.interval), asc(planPrices.currency));
  const overage = await executor
    .select()
    .from(planOveragePrices)
    .where(tupleIn([planOveragePrices.planId, planOveragePrices.version], tuples))
    .orderBy(asc(planOveragePrices.featureKey));
  const keyOf = (row: { planId: string; version: number }) => versionKey(row.planId, row.version);
  const rowOf = new Map(rows.map((row) => [keyOf(row), row]));
  const pricesOf = groupBy(prices, keyOf);
  const overageOf = groupBy(overage, keyOf);
  return references.flatMap((reference) => {
    const key = keyOf(reference);
    const row = rowOf.get(key);
    if (!row) return [];
    return [loadedVersion(row, pricesOf.get(key) ?? [], overageOf.get(key) ?? [])];
  });
}

/**
 * Plans, each at its current version or at the version asked for, with their prices and overage prices,
 * in one statement (`getPlan` sends four per plan), in the order asked for. Throws `not_found` as
 * `getPlan` does, for the first plan or version asked for that does not exist.
 */
export async function getPlans({
  db,
  references,
}: {
  db: Executor;
  references: readonly { planId: string; version?: number | undefined }[];
}): Promise<Plan[]> {
  return planEntries.getMany({
    db,
    references: references.map(({ planId, version }) => ({ id: planId, version })),
  });
}

/** A plan version's row with its prices and overage prices (each in their order) as a loaded version. */
function loadedVersion(
  row: typeof planVersions.$inferSelect,
  prices: readonly Price[],
  overage: readonly { featureKey: string; currency: string; unitAmount: bigint }[],
): LoadedVersion {
  return {
    id: row.planId,
    version: row.version,
    name: row.name,
    description: row.description,
    tier: row.tier,
    trialDays: row.trialDays,
    features: row.features,
    prices: prices.map(({ interval, currency, unitAmount }) => ({
      interval,
      currency,
      unitAmount,
    })),
    overage: Object.fromEntries(
      overage.map(({ featureKey, currency, unitAmount }) => [featureKey, { currency, unitAmount }]),
    ),
    versionCreatedAt: row.createdAt,
  };
}
