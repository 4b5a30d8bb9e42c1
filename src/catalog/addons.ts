import { asc, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import { addonPrices, addons, addonVersions } from "../db/schema/index.ts";
import { tupleIn } from "../db/tuple-in.ts";
import { notFound, validationError } from "../errors.ts";
import { archivedAtUpdate, listFilter } from "./catalog-queries.ts";
import type { Addon, AddonDefinition } from "./catalog-types.ts";
import { loadFeatureMap } from "./features.ts";
import { validateFeatureValues, validatePrices } from "./validate-catalog-entry.ts";

/** Add-ons: licenses (more seats) and services, bought in quantities on top of a plan. Versioned like plans. */

async function assertValidAddon(executor: Executor, definition: AddonDefinition) {
  const features = await loadFeatureMap(executor);
  const problems = [
    ...validatePrices({ prices: definition.prices }),
    ...validateFeatureValues({ values: definition.features, features, owner: "addon" }),
  ];
  if (problems.length > 0) {
    throw validationError(`The add-on is invalid: ${problems.join("; ")}`, { problems });
  }
}

async function insertVersion(
  executor: Executor,
  {
    addonId,
    version,
    definition,
    now,
  }: { addonId: string; version: number; definition: AddonDefinition; now: Date },
) {
  await executor.insert(addonVersions).values({
    addonId,
    version,
    name: definition.name,
    description: definition.description,
    features: definition.features,
    createdAt: now,
  });
  await executor
    .insert(addonPrices)
    .values(definition.prices.map((price) => ({ addonId, version, ...price })));
}

/** Creates an add-on at version 1 (audited as `catalog.addon_created` by `actor`). */
export async function createAddon({
  db,
  id,
  kind,
  definition,
  actor = "system",
  now,
}: {
  db: Database;
  id: string;
  kind: Addon["kind"];
  definition: AddonDefinition;
  actor?: string;
  now: Date;
}): Promise<Addon> {
  await db.transaction(async (tx) => {
    await assertValidAddon(tx, definition);
    const inserted = await tx
      .insert(addons)
      .values({ id, kind, currentVersion: 1, createdAt: now })
      .onConflictDoNothing()
      .returning({ id: addons.id });
    if (inserted.length === 0) {
      throw validationError(
        `An add-on with id "${id}" already exists. Choose another id, or edit it with PATCH /v1/addons/${id}.`,
        { id },
      );
    }
    await insertVersion(tx, { addonId: id, version: 1, definition, now });
    await recordAudit({
      executor: tx,
      entry: {
        action: "catalog.addon_created",
        actor,
        organizationId: null,
        after: { id, kind, version: 1, ...definition },
      },
      now,
    });
  });
  return getAddon({ db, addonId: id });
}

/** Writes the add-on's next version (audited as `catalog.addon_updated` by `actor`). */
export async function updateAddon({
  db,
  addonId,
  changes,
  actor = "system",
  now,
}: {
  db: Database;
  addonId: string;
  changes: Partial<AddonDefinition>;
  actor?: string;
  now: Date;
}): Promise<Addon> {
  await db.transaction(async (tx) => {
    const [addon] = await tx.select().from(addons).where(eq(addons.id, addonId)).for("update");
    if (!addon) throw notFound("Add-on", addonId);
    const [current] = await loadAddonVersions(tx, [[addonId, addon.currentVersion]]);
    if (!current) throw notFound("Add-on version", `${addonId}@${addon.currentVersion}`);
    const definition: AddonDefinition = {
      name: current.name,
      description: current.description,
      prices: current.prices,
      features: current.features,
      ...changes,
    };
    await assertValidAddon(tx, definition);
    const version = addon.currentVersion + 1;
    await insertVersion(tx, { addonId, version, definition, now });
    await tx.update(addons).set({ currentVersion: version }).where(eq(addons.id, addonId));
    await recordAudit({
      executor: tx,
      entry: {
        action: "catalog.addon_updated",
        actor,
        organizationId: null,
        before: {
          id: addonId,
          version: addon.currentVersion,
          name: current.name,
          description: current.description,
          prices: current.prices,
          features: current.features,
        },
        after: { id: addonId, version, ...definition },
      },
      now,
    });
  });
  return getAddon({ db, addonId });
}

/** Hides an add-on from new purchases, or offers it again (audited by `actor`). */
export async function setAddonArchived({
  db,
  addonId,
  archived,
  actor = "system",
  now,
}: {
  db: Database;
  addonId: string;
  archived: boolean;
  actor?: string;
  now: Date;
}): Promise<Addon> {
  await db.transaction(async (tx) => {
    const [before] = await tx
      .select({ archivedAt: addons.archivedAt })
      .from(addons)
      .where(eq(addons.id, addonId))
      .for("update");
    if (!before) throw notFound("Add-on", addonId);
    const [after] = await tx
      .update(addons)
      .set({ archivedAt: archivedAtUpdate({ column: addons.archivedAt, archived, now }) })
      .where(eq(addons.id, addonId))
      .returning({ archivedAt: addons.archivedAt });
    await recordAudit({
      executor: tx,
      entry: {
        action: archived ? "catalog.addon_archived" : "catalog.addon_unarchived",
        actor,
        organizationId: null,
        before: { id: addonId, archivedAt: before.archivedAt },
        after: { id: addonId, archivedAt: after?.archivedAt ?? null },
      },
      now,
    });
  });
  return getAddon({ db, addonId });
}

export async function getAddon({
  db,
  addonId,
  version,
}: {
  db: Executor;
  addonId: string;
  version?: number | undefined;
}): Promise<Addon> {
  const [addon] = await db.select().from(addons).where(eq(addons.id, addonId));
  if (!addon) throw notFound("Add-on", addonId);
  const [loaded] = await loadAddonVersions(db, [[addonId, version ?? addon.currentVersion]]);
  if (!loaded) throw notFound("Add-on version", `${addonId}@${version}`);
  return { ...loaded, ...addonRecord(addon) };
}

export async function listAddons({
  db,
  includeArchived,
  limit,
  cursor,
}: {
  db: Database;
  includeArchived: boolean;
  limit: number;
  cursor?: string | undefined;
}): Promise<Addon[]> {
  const rows = await db
    .select()
    .from(addons)
    .where(listFilter({ archivedAt: addons.archivedAt, includeArchived, key: addons.id, cursor }))
    .orderBy(asc(addons.id))
    .limit(limit);
  const versions = await loadAddonVersions(
    db,
    rows.map((row) => [row.id, row.currentVersion]),
  );
  return rows.flatMap((row, index) => {
    const version = versions[index];
    return version ? [{ ...version, ...addonRecord(row) }] : [];
  });
}

function addonRecord(addon: typeof addons.$inferSelect) {
  return {
    kind: addon.kind,
    currentVersion: addon.currentVersion,
    archivedAt: addon.archivedAt,
    createdAt: addon.createdAt,
  };
}

type LoadedVersion = Omit<Addon, "kind" | "currentVersion" | "archivedAt" | "createdAt">;

export async function loadAddonVersions(
  executor: Executor,
  tuples: [string, number][],
): Promise<LoadedVersion[]> {
  if (tuples.length === 0) return [];
  const rows = await executor
    .select()
    .from(addonVersions)
    .where(tupleIn([addonVersions.addonId, addonVersions.version], tuples));
  const prices = await executor
    .select()
    .from(addonPrices)
    .where(tupleIn([addonPrices.addonId, addonPrices.version], tuples))
    .orderBy(asc(addonPrices.interval), asc(addonPrices.currency));
  return tuples.flatMap(([addonId, version]) => {
    const row = rows.find((entry) => entry.addonId === addonId && entry.version === version);
    if (!row) return [];
    return [
      {
        id: addonId,
        version,
        name: row.name,
        description: row.description,
        features: row.features,
        prices: prices
          .filter((price) => price.addonId === addonId && price.version === version)
          .map(({ interval, currency, unitAmount }) => ({ interval, currency, unitAmount })),
        versionCreatedAt: row.createdAt,
      },
    ];
  });
}
