import { asc, eq, gt, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import { features } from "../db/schema/index.ts";
import { notFound, validationError } from "../errors.ts";
import type { Feature, FeatureKind } from "./catalog-types.ts";

/**
 * Defines a feature (audited as `catalog.feature_created` by `actor`). Keys are unique without regard to
 * case: `Seats` next to `seats` would be two features nobody can tell apart (and one a client that
 * normalizes case would never reach). Creations are serialized by a transaction lock, so two keys that
 * differ only by case cannot both get in by racing. Features created before this rule keep their keys.
 */
export async function createFeature({
  db,
  input,
  actor = "system",
  now,
}: {
  db: Database;
  input: { key: string; name: string; kind: FeatureKind; unit: string | null };
  actor?: string;
  now: Date;
}): Promise<Feature> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('abono.feature_keys'))`);
    const [sameKey] = await tx
      .select({ key: features.key })
      .from(features)
      .where(sql`lower(${features.key}) = lower(${input.key})`)
      .limit(1);
    if (sameKey && sameKey.key !== input.key) {
      throw validationError(
        `key: the feature "${sameKey.key}" exists already, and "${input.key}" differs from it only by case. Feature keys are unique without regard to case; choose a key that says what is different (e.g. "${sameKey.key}_enabled" for an on/off gate next to a limit).`,
        { key: input.key, existingKey: sameKey.key },
      );
    }
    const [created] = await tx
      .insert(features)
      .values({ ...input, createdAt: now })
      .onConflictDoNothing()
      .returning();
    if (!created) {
      throw validationError(
        `A feature with key "${input.key}" already exists. Feature keys are permanent; choose another key.`,
        { key: input.key },
      );
    }
    await recordAudit({
      executor: tx,
      entry: { action: "catalog.feature_created", actor, organizationId: null, after: created },
      now,
    });
    return created;
  });
}

/**
 * Sets the percentages of a limit or metered feature's limit at which `usage.threshold_reached` is
 * published (null: the defaults, 80 and 100). Audited as `catalog.feature_thresholds_set`.
 */
export async function setUsageThresholds({
  db,
  key,
  percents,
  actor,
  now,
}: {
  db: Database;
  key: string;
  percents: number[] | null;
  actor: string;
  now: Date;
}): Promise<Feature> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(features).where(eq(features.key, key)).for("update");
    if (!before) throw notFound("Feature", key);
    if (before.kind === "boolean") {
      throw validationError(
        `"${key}" is a boolean feature; usage thresholds are for limit and metered features.`,
      );
    }
    const sorted = percents === null ? null : [...new Set(percents)].sort((a, b) => a - b);
    const [updated] = await tx
      .update(features)
      .set({ usageThresholds: sorted })
      .where(eq(features.key, key))
      .returning();
    if (!updated) throw notFound("Feature", key);
    await recordAudit({
      executor: tx,
      entry: {
        action: "catalog.feature_thresholds_set",
        actor,
        organizationId: null,
        before: { usageThresholds: before.usageThresholds },
        after: { usageThresholds: updated.usageThresholds },
      },
      now,
    });
    return updated;
  });
}

export async function getFeature({ db, key }: { db: Database; key: string }): Promise<Feature> {
  const [feature] = await db.select().from(features).where(eq(features.key, key));
  if (!feature) throw notFound("Feature", key);
  return feature;
}

export async function listFeatures({
  db,
  limit,
  cursor,
}: {
  db: Database;
  limit: number;
  cursor?: string | undefined;
}): Promise<Feature[]> {
  return db
    .select()
    .from(features)
    .where(cursor ? gt(features.key, cursor) : undefined)
    .orderBy(asc(features.key))
    .limit(limit);
}

/** Every defined feature by key, to validate catalog entries against. */
export async function loadFeatureMap(executor: Executor): Promise<Map<string, Feature>> {
  const rows = await executor.select().from(features);
  return new Map(rows.map((feature) => [feature.key, feature]));
}
