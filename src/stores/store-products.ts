import { and, eq, or } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database, Executor } from "../db/database.ts";
import { packs, plans, type Store, storeProducts } from "../db/schema/index.ts";
import { conflict, notFound, validationError } from "../errors.ts";

export type StoreProductRow = typeof storeProducts.$inferSelect;

export interface StoreProductInput {
  store: Store;
  productId: string;
  basePlanId?: string | undefined;
}

/** The plan or pack a store product is sold as, or null. */
export async function findStoreProduct({
  executor,
  store,
  productId,
  basePlanId,
}: {
  executor: Executor;
  store: Store;
  productId: string;
  basePlanId: string;
}): Promise<StoreProductRow | null> {
  const rows = await executor
    .select()
    .from(storeProducts)
    .where(
      and(
        eq(storeProducts.store, store),
        eq(storeProducts.productId, productId),
        // A Google subscription mapped without a base plan covers all its base plans.
        or(eq(storeProducts.basePlanId, basePlanId), eq(storeProducts.basePlanId, "")),
      ),
    );
  return rows.find((row) => row.basePlanId === basePlanId) ?? rows[0] ?? null;
}

export async function listStoreProducts({
  executor,
  kind,
  targetId,
}: {
  executor: Executor;
  kind: "plan" | "pack";
  targetId: string;
}): Promise<StoreProductRow[]> {
  return executor
    .select()
    .from(storeProducts)
    .where(and(eq(storeProducts.kind, kind), eq(storeProducts.targetId, targetId)))
    .orderBy(storeProducts.store, storeProducts.productId, storeProducts.basePlanId);
}

/**
 * Replaces the store products of a plan or pack (docs/app-stores.md "Catalog"). Each (store, product, base
 * plan) is sold as one plan or pack only: repeated within the request → 400, already another entry's →
 * 409 `conflict`. Apple products have no base plan; a Google subscription's may name one.
 */
export async function setStoreProducts({
  db,
  kind,
  targetId,
  products,
  actor,
  now,
}: {
  db: Database;
  kind: "plan" | "pack";
  targetId: string;
  products: readonly StoreProductInput[];
  actor: string;
  now: Date;
}): Promise<StoreProductRow[]> {
  const keys = new Set<string>();
  for (const [index, product] of products.entries()) {
    if (product.store === "app_store" && product.basePlanId) {
      throw validationError(
        `storeProducts[${index}]: App Store products have no base plan; leave basePlanId out.`,
      );
    }
    const key = `${product.store}\u0000${product.productId}\u0000${product.basePlanId ?? ""}`;
    if (keys.has(key)) {
      throw validationError(
        `storeProducts[${index}]: ${product.store} product ${product.productId} is listed twice.`,
      );
    }
    keys.add(key);
  }
  return db.transaction(async (tx) => {
    const table = kind === "plan" ? plans : packs;
    const [target] = await tx.select({ id: table.id }).from(table).where(eq(table.id, targetId));
    if (!target) throw notFound(kind === "plan" ? "Plan" : "Pack", targetId);
    const before = await listStoreProducts({ executor: tx, kind, targetId });
    await tx
      .delete(storeProducts)
      .where(and(eq(storeProducts.kind, kind), eq(storeProducts.targetId, targetId)));
    for (const product of products) {
      const [taken] = await tx
        .select()
        .from(storeProducts)
        .where(
          and(
            eq(storeProducts.store, product.store),
            eq(storeProducts.productId, product.productId),
            eq(storeProducts.basePlanId, product.basePlanId ?? ""),
          ),
        );
      if (taken) {
        throw conflict(
          `${product.store} product ${product.productId}${product.basePlanId ? ` (base plan ${product.basePlanId})` : ""} is already sold as ${taken.kind} ${taken.targetId}; remove it there first.`,
          {
            store: product.store,
            productId: product.productId,
            kind: taken.kind,
            targetId: taken.targetId,
          },
        );
      }
      await tx.insert(storeProducts).values({
        store: product.store,
        productId: product.productId,
        basePlanId: product.basePlanId ?? "",
        kind,
        targetId,
        createdAt: now,
      });
    }
    const after = await listStoreProducts({ executor: tx, kind, targetId });
    await recordAudit({
      executor: tx,
      entry: {
        action: `catalog.${kind}_store_products_set`,
        actor,
        organizationId: null,
        before: before.map(describe),
        after: after.map(describe),
        metadata: { [`${kind}Id`]: targetId },
      },
      now,
    });
    return after;
  });
}

const describe = (row: StoreProductRow) => ({
  store: row.store,
  productId: row.productId,
  basePlanId: row.basePlanId || null,
});
