import { asc, eq, gt } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import { features } from "../db/schema/index.ts";
import { notFound, validationError } from "../errors.ts";
import type { Feature, FeatureKind } from "./catalog-types.ts";

/** Defines a feature (audited as `catalog.feature_created` by `actor`). */
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
