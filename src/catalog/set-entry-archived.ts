import { eq, type SQL, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import type { addons, coupons, packs, plans, taxRates } from "../db/schema/index.ts";
import { notFound } from "../errors.ts";

type ArchivableTable =
  | typeof plans
  | typeof addons
  | typeof packs
  | typeof coupons
  | typeof taxRates;

/**
 * Hides a catalog entry from new purchases, or offers it again: `archived_at` is kept if already archived,
 * `now` when archiving, null when unarchiving. The row is locked while it changes and the change is
 * audited as `catalog.<auditName>_archived` / `_unarchived` by `actor`, with `archivedAt` before and after.
 * Returns the entry's key as stored (a coupon's code in its own case).
 */
export async function setEntryArchived({
  db,
  table,
  key,
  id,
  match = eq(key, id),
  noun,
  auditName,
  archived,
  actor,
  now,
}: {
  db: Database;
  table: ArchivableTable;
  /** The key column (`id`, a coupon's `code`), also the key of the audit entries. */
  key:
    | typeof plans.id
    | typeof addons.id
    | typeof packs.id
    | typeof coupons.code
    | typeof taxRates.id;
  id: string;
  /** How `id` finds the row, when not by equal key. */
  match?: SQL;
  /** "Plan", "Add-on", …: in the not-found message. */
  noun: string;
  auditName: string;
  archived: boolean;
  actor: string;
  now: Date;
}): Promise<string> {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ key, archivedAt: table.archivedAt })
      .from(table)
      .where(match)
      .for("update");
    if (!before) throw notFound(noun, id);
    const [after] = await tx
      .update(table)
      .set({
        archivedAt: archived
          ? sql`coalesce(${table.archivedAt}, ${now.toISOString()}::timestamptz)`
          : null,
      })
      .where(eq(key, before.key))
      .returning({ archivedAt: table.archivedAt });
    await recordAudit({
      executor: tx,
      entry: {
        action: `catalog.${auditName}_${archived ? "archived" : "unarchived"}`,
        actor,
        organizationId: null,
        before: { [key.name]: before.key, archivedAt: before.archivedAt },
        after: { [key.name]: before.key, archivedAt: after?.archivedAt ?? null },
      },
      now,
    });
    return before.key;
  });
}
