import { and, asc, eq, gt, isNull, or } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import { planOveragePrices, planPrices, plans, planVersions } from "../db/schema/index.ts";
import { tupleIn } from "../db/tuple-in.ts";
import { notFound, validationError } from "../errors.ts";
import { archivedAtUpdate } from "./catalog-queries.ts";
import type { Plan, PlanDefinition } from "./catalog-types.ts";
import { loadFeatureMap } from "./features.ts";
import {
  validateFeatureValues,
  validateOverage,
  validatePrices,
} from "./validate-catalog-entry.ts";

async function assertValidPlan(executor: Executor, definition: PlanDefinition) {
  const features = await loadFeatureMap(executor);
  const problems = [
    ...validatePrices({ prices: definition.prices }),
    ...validateFeatureValues({ values: definition.features, features, owner: "plan" }),
    ...validateOverage({
      overage: definition.overage,
      values: definition.features,
      features,
      priceCurrencies: new Set(definition.prices.map((price) => price.currency)),
    }),
  ];
  if (problems.length > 0) {
    throw validationError(`The plan is invalid: ${problems.join("; ")}`, { problems });
  }
}

async function insertVersion(
  executor: Executor,
  {
    planId,
    version,
    definition,
    now,
  }: { planId: string; version: number; definition: PlanDefinition; now: Date },
) {
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
}

/** Creates a plan at version 1 (audited as `catalog.plan_created` by `actor`). */
export async function createPlan({
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
  await db.transaction(async (tx) => {
    await assertValidPlan(tx, definition);
    const inserted = await tx
      .insert(plans)
      .values({ id, currentVersion: 1, createdAt: now })
      .onConflictDoNothing()
      .returning({ id: plans.id });
    if (inserted.length === 0) {
      throw validationError(
        `A plan with id "${id}" already exists. Choose another id, or edit it with PATCH /v1/plans/${id} (which creates a new version).`,
        { id },
      );
    }
    await insertVersion(tx, { planId: id, version: 1, definition, now });
    await recordAudit({
      executor: tx,
      entry: {
        action: "catalog.plan_created",
        actor,
        organizationId: null,
        after: { id, version: 1, ...definition },
      },
      now,
    });
  });
  return getPlan({ db, planId: id });
}

/**
 * Edits a plan by writing its next version; the previous versions stay as they were, so subscriptions
 * that reference them keep their prices and features. Audited as `catalog.plan_updated` by `actor`.
 */
export async function updatePlan({
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
  await db.transaction(async (tx) => {
    const [plan] = await tx.select().from(plans).where(eq(plans.id, planId)).for("update");
    if (!plan) throw notFound("Plan", planId);
    const current = await loadPlanVersion(tx, { planId, version: plan.currentVersion });
    const definition: PlanDefinition = { ...definitionOf(current), ...changes };
    await assertValidPlan(tx, definition);
    const version = plan.currentVersion + 1;
    await insertVersion(tx, { planId, version, definition, now });
    await tx.update(plans).set({ currentVersion: version }).where(eq(plans.id, planId));
    await recordAudit({
      executor: tx,
      entry: {
        action: "catalog.plan_updated",
        actor,
        organizationId: null,
        before: { id: planId, version: plan.currentVersion, ...definitionOf(current) },
        after: { id: planId, version, ...definition },
      },
      now,
    });
  });
  return getPlan({ db, planId });
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
  await db.transaction(async (tx) => {
    const [before] = await tx
      .select({ archivedAt: plans.archivedAt })
      .from(plans)
      .where(eq(plans.id, planId))
      .for("update");
    if (!before) throw notFound("Plan", planId);
    const [after] = await tx
      .update(plans)
      .set({ archivedAt: archivedAtUpdate({ column: plans.archivedAt, archived, now }) })
      .where(eq(plans.id, planId))
      .returning({ archivedAt: plans.archivedAt });
    await recordAudit({
      executor: tx,
      entry: {
        action: archived ? "catalog.plan_archived" : "catalog.plan_unarchived",
        actor,
        organizationId: null,
        before: { id: planId, archivedAt: before.archivedAt },
        after: { id: planId, archivedAt: after?.archivedAt ?? null },
      },
      now,
    });
  });
  return getPlan({ db, planId });
}

/** A plan at its current version, or at `version` when given (old versions stay readable). */
export async function getPlan({
  db,
  planId,
  version,
}: {
  db: Executor;
  planId: string;
  version?: number | undefined;
}): Promise<Plan> {
  const [plan] = await db.select().from(plans).where(eq(plans.id, planId));
  if (!plan) throw notFound("Plan", planId);
  const wanted = version ?? plan.currentVersion;
  const loaded = await loadPlanVersion(db, { planId, version: wanted });
  return {
    ...loaded,
    currentVersion: plan.currentVersion,
    archivedAt: plan.archivedAt,
    createdAt: plan.createdAt,
  };
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
    .select({ plan: plans, version: planVersions })
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
  const versions = await loadPlanVersions(
    db,
    rows.map(({ plan }) => ({ planId: plan.id, version: plan.currentVersion })),
  );
  return versions.map((version, index) => {
    const plan = rows[index]?.plan;
    if (!plan) throw new Error("plan rows and versions out of step");
    return {
      ...version,
      currentVersion: plan.currentVersion,
      archivedAt: plan.archivedAt,
      createdAt: plan.createdAt,
    };
  });
}

type LoadedVersion = Omit<Plan, "currentVersion" | "archivedAt" | "createdAt">;

async function loadPlanVersion(
  executor: Executor,
  reference: { planId: string; version: number },
): Promise<LoadedVersion> {
  const [loaded] = await loadPlanVersions(executor, [reference]);
  if (!loaded) throw notFound("Plan version", `${reference.planId}@${reference.version}`);
  return loaded;
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
  const key = (planId: string, version: number) => `${planId}@${version}`;
  const byKey = new Map(rows.map((row) => [key(row.planId, row.version), row]));
  return references.flatMap(({ planId, version }) => {
    const row = byKey.get(key(planId, version));
    if (!row) return [];
    const own = <T extends { planId: string; version: number }>(entry: T) =>
      entry.planId === planId && entry.version === version;
    return [
      {
        id: planId,
        version,
        name: row.name,
        description: row.description,
        tier: row.tier,
        trialDays: row.trialDays,
        features: row.features,
        prices: prices
          .filter(own)
          .map(({ interval, currency, unitAmount }) => ({ interval, currency, unitAmount })),
        overage: Object.fromEntries(
          overage
            .filter(own)
            .map(({ featureKey, currency, unitAmount }) => [featureKey, { currency, unitAmount }]),
        ),
        versionCreatedAt: row.createdAt,
      },
    ];
  });
}

function definitionOf(plan: PlanDefinition): PlanDefinition {
  const { name, description, tier, trialDays, prices, features, overage } = plan;
  return { name, description, tier, trialDays, prices, features, overage };
}
