import { asc, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import { packs } from "../db/schema/index.ts";
import { invalidEntry, notFound, validationError } from "../errors.ts";
import { listFilter } from "./catalog-queries.ts";
import type { Feature, Pack } from "./catalog-types.ts";
import { loadFeatureMap } from "./features.ts";
import { setEntryArchived } from "./set-entry-archived.ts";
import { validateCurrency } from "./validate-catalog-entry.ts";

/** Top-up packs: a fixed quantity of a metered feature sold for a one-off price (e.g. 500 encounters). */

export type PackInput = Omit<Pack, "archivedAt" | "createdAt">;

/** Defines a top-up pack (audited as `catalog.pack_created` by `actor`). */
export async function createPack({
  db,
  input,
  actor = "system",
  now,
}: {
  db: Database;
  input: PackInput;
  actor?: string;
  now: Date;
}): Promise<Pack> {
  const problems = validatePackInput({ input, features: await loadFeatureMap(db) });
  if (problems.length > 0) {
    throw invalidEntry("The pack", problems);
  }
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(packs)
      .values({
        id: input.id,
        name: input.name,
        featureKey: input.feature,
        quantity: input.quantity,
        currency: input.price.currency,
        unitAmount: input.price.unitAmount,
        expiresAfterDays: input.expiresAfterDays,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (!created) {
      throw validationError(`A pack with id "${input.id}" already exists; choose another id.`, {
        id: input.id,
      });
    }
    const pack = toPack(created);
    await recordAudit({
      executor: tx,
      entry: { action: "catalog.pack_created", actor, organizationId: null, after: pack },
      now,
    });
    return pack;
  });
}

/** Pure rules a pack must satisfy before it is stored. */
export function validatePackInput({
  input,
  features,
}: {
  input: PackInput;
  features: ReadonlyMap<string, Feature>;
}): string[] {
  const feature = features.get(input.feature);
  const problems: string[] = [];
  if (!feature) {
    problems.push(
      `feature: no feature with key "${input.feature}"; create it with POST /v1/features first`,
    );
  } else if (feature.kind !== "metered") {
    problems.push(`feature: packs top up metered features; "${input.feature}" is ${feature.kind}`);
  }
  if (input.quantity <= 0n) problems.push("quantity: must be at least 1");
  problems.push(...validateCurrency({ currency: input.price.currency, path: "price.currency" }));
  if (input.price.unitAmount < 0n) problems.push("price.unitAmount: must not be negative");
  if (input.expiresAfterDays !== null && input.expiresAfterDays <= 0) {
    problems.push("expiresAfterDays: must be at least 1, or left out for packs that do not expire");
  }
  return problems;
}

export async function getPack({ db, packId }: { db: Database; packId: string }): Promise<Pack> {
  const [row] = await db.select().from(packs).where(eq(packs.id, packId));
  if (!row) throw notFound("Pack", packId);
  return toPack(row);
}

export async function listPacks({
  db,
  includeArchived,
  limit,
  cursor,
}: {
  db: Database;
  includeArchived: boolean;
  limit: number;
  cursor?: string | undefined;
}): Promise<Pack[]> {
  const rows = await db
    .select()
    .from(packs)
    .where(listFilter({ archivedAt: packs.archivedAt, includeArchived, key: packs.id, cursor }))
    .orderBy(asc(packs.id))
    .limit(limit);
  return rows.map(toPack);
}

/** Hides a pack from new purchases, or offers it again (audited by `actor`). */
export async function setPackArchived({
  db,
  packId,
  archived,
  actor = "system",
  now,
}: {
  db: Database;
  packId: string;
  archived: boolean;
  actor?: string;
  now: Date;
}): Promise<Pack> {
  await setEntryArchived({
    db,
    table: packs,
    key: packs.id,
    id: packId,
    noun: "Pack",
    auditName: "pack",
    archived,
    actor,
    now,
  });
  return getPack({ db, packId });
}

function toPack(row: typeof packs.$inferSelect): Pack {
  return {
    id: row.id,
    name: row.name,
    feature: row.featureKey,
    quantity: row.quantity,
    price: { currency: row.currency, unitAmount: row.unitAmount },
    expiresAfterDays: row.expiresAfterDays,
    archivedAt: row.archivedAt,
    createdAt: row.createdAt,
  };
}
