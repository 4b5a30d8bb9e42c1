import { asc } from "drizzle-orm";
import type { Database, Executor } from "../db/database.ts";
import { addonPrices, addons, addonVersions } from "../db/schema/index.ts";
import { tupleIn } from "../db/tuple-in.ts";
import { groupBy, listFilter, versionKey } from "./catalog-queries.ts";
import type { Addon, AddonDefinition } from "./catalog-types.ts";
import { setEntryArchived } from "./set-entry-archived.ts";
import { validateFeatureValues, validatePrices } from "./validate-catalog-entry.ts";
import { versionedEntries } from "./versioned-entries.ts";

/** Add-ons: licenses (more seats) and services, bought in quantities on top of a plan. Versioned like plans. */

type LoadedVersion = Omit<Addon, "kind" | "currentVersion" | "archivedAt" | "createdAt">;

const addonEntries = versionedEntries<AddonDefinition, LoadedVersion, typeof addons.$inferSelect>({
  noun: "add-on",
  aNoun: "An add-on",
  auditName: "addon",
  path: "/v1/addons",
  heads: addons,
  problemsOf: ({ definition, features }) => [
    ...validatePrices({ prices: definition.prices }),
    ...validateFeatureValues({ values: definition.features, features, owner: "addon" }),
  ],
  async insertVersion(executor, { id: addonId, version, definition, now }) {
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
  },
  loadVersions: (executor, references) =>
    loadAddonVersions(
      executor,
      references.map(({ id, version }) => [id, version]),
    ),
  definitionOf: ({ name, description, prices, features }) => ({
    name,
    description,
    prices,
    features,
  }),
});

/** Creates an add-on at version 1 (audited as `catalog.addon_created` by `actor`). */
export function createAddon({
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
  return addonEntries.create({ db, id, head: { kind }, definition, actor, now });
}

/** Writes the add-on's next version (audited as `catalog.addon_updated` by `actor`). */
export function updateAddon({
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
  return addonEntries.update({ db, id: addonId, changes, actor, now });
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
  await setEntryArchived({
    db,
    table: addons,
    key: addons.id,
    id: addonId,
    noun: "Add-on",
    auditName: "addon",
    archived,
    actor,
    now,
  });
  return getAddon({ db, addonId });
}

/** An add-on at its current version, or at `version` when given (old versions stay readable). */
export function getAddon({
  db,
  addonId,
  version,
}: {
  db: Executor;
  addonId: string;
  version?: number | undefined;
}): Promise<Addon> {
  return addonEntries.get({ db, id: addonId, version });
}

/** Current versions, ordered by id. Archived add-ons only when asked for. */
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
  return addonEntries.withCurrentVersions(db, rows);
}

/** Several add-on versions with their prices in two queries, in the order asked for. */
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
  const keyOf = (row: { addonId: string; version: number }) => versionKey(row.addonId, row.version);
  const rowOf = new Map(rows.map((row) => [keyOf(row), row]));
  const pricesOf = groupBy(prices, keyOf);
  return tuples.flatMap(([addonId, version]) => {
    const key = versionKey(addonId, version);
    const row = rowOf.get(key);
    if (!row) return [];
    return [
      {
        id: addonId,
        version,
        name: row.name,
        description: row.description,
        features: row.features,
        prices: (pricesOf.get(key) ?? []).map(({ interval, currency, unitAmount }) => ({
          interval,
          currency,
          unitAmount,
        })),
        versionCreatedAt: row.createdAt,
      },
    ];
  });
}
