import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { AbonoError } from "../errors.ts";

export type ArchivableKind = "plan" | "addon" | "pack" | "coupon";

export interface ArchivePreview {
  kind: ArchivableKind;
  id: string;
  archived: boolean;
  /** Live subscriptions (trialing, active, past due) on the entry or any of its versions. */
  subscriptions: number;
  /** Distinct organizations behind them. */
  organizations: number;
  /** Per version, for versioned entries (plans, add-ons): how many of those subscriptions are on it. */
  byVersion: { version: number; subscriptions: number }[];
  /** Organizations that ever redeemed a coupon (redemptions stay with archiving); 0 for the rest. */
  redemptions: number;
  /** The first `limit` affected subscriptions, by organization id. */
  affected: {
    organizationId: string;
    organizationName: string;
    subscriptionId: string;
    status: string;
    version: number | null;
  }[];
}

const live = sql`('trialing', 'active', 'past_due')`;

/** The entry's table and key, and which live subscriptions it touches (with the version they are on). */
function scope(kind: ArchivableKind, id: string): { exists: SQL; on: SQL | null } {
  switch (kind) {
    case "plan":
      return {
        exists: sql`select archived_at is not null as archived from plans where id = ${id}`,
        on: sql`select s.id, s.organization_id, s.status, s.plan_version as version
                  from subscriptions s where s.plan_id = ${id} and s.status in ${live}`,
      };
    case "addon":
      return {
        exists: sql`select archived_at is not null as archived from addons where id = ${id}`,
        on: sql`select s.id, s.organization_id, s.status, i.addon_version as version
                  from subscription_items i
                  join subscriptions s on s.id = i.subscription_id and s.organization_id = i.organization_id
                 where i.addon_id = ${id} and s.status in ${live}`,
      };
    case "coupon":
      return {
        exists: sql`select archived_at is not null as archived from coupons where code = ${id}`,
        on: sql`select s.id, s.organization_id, s.status, null::int as version
                  from subscriptions s where s.coupon_code = ${id} and s.status in ${live}`,
      };
    case "pack":
      // A pack is a one-off purchase: no subscription is on it, and bought units stay where they are.
      return {
        exists: sql`select archived_at is not null as archived from packs where id = ${id}`,
        on: null,
      };
  }
}

/**
 * Who archiving a catalog entry would touch (docs/backoffice.md "Archiving"): the live subscriptions on it
 * or its versions and their organizations. Archiving hides the entry from new purchases only; these keep it.
 */
export async function previewArchive({
  db,
  kind,
  id,
  limit = 50,
}: {
  db: Database;
  kind: ArchivableKind;
  id: string;
  limit?: number;
}): Promise<ArchivePreview> {
  const { exists, on } = scope(kind, id);
  const found = await db.execute<{ archived: boolean }>(exists);
  const entry = found.rows[0];
  if (!entry) throw new AbonoError("not_found", `No ${kind} ${JSON.stringify(id)}.`);
  const redemptions =
    kind === "coupon"
      ? Number(
          (
            await db.execute<{ count: string }>(
              sql`select count(*)::text as count from coupon_redemptions where coupon_code = ${id}`,
            )
          ).rows[0]?.count ?? 0,
        )
      : 0;
  const empty = {
    kind,
    id,
    archived: entry.archived,
    redemptions,
    subscriptions: 0,
    organizations: 0,
    byVersion: [],
    affected: [],
  };
  if (on === null) return empty;
  const [totals, versions, rows] = await Promise.all([
    db.execute<{ subscriptions: string; organizations: string }>(sql`
      select count(*)::text as subscriptions, count(distinct organization_id)::text as organizations
        from (${on}) affected`),
    db.execute<{ version: number | null; subscriptions: string }>(sql`
      select version, count(*)::text as subscriptions from (${on}) affected
       where version is not null group by version order by version`),
    db.execute<{
      id: string;
      organization_id: string;
      name: string;
      status: string;
      version: number | null;
    }>(sql`
      select affected.id, affected.organization_id, o.name, affected.status, affected.version
        from (${on}) affected join organizations o on o.id = affected.organization_id
       order by affected.organization_id, affected.id
       limit ${limit}`),
  ]);
  return {
    ...empty,
    subscriptions: Number(totals.rows[0]?.subscriptions ?? 0),
    organizations: Number(totals.rows[0]?.organizations ?? 0),
    byVersion: versions.rows.map((row) => ({
      version: Number(row.version),
      subscriptions: Number(row.subscriptions),
    })),
    affected: rows.rows.map((row) => ({
      organizationId: row.organization_id,
      organizationName: row.name,
      subscriptionId: row.id,
      status: row.status,
      version: row.version === null ? null : Number(row.version),
    })),
  };
}
