import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { notFound } from "../errors.ts";
import { type LoadedEntitlement, loadEntitlement } from "./load-entitlement.ts";

export interface EntitlementCache {
  /** The organization's entitlement and its "now": cached, but never older than the last committed change. */
  get(args: {
    organizationId: string;
    systemNow: Date;
  }): Promise<{ entitlement: LoadedEntitlement; now: Date }>;
  /** Several organizations at once: one version query for all of them. */
  getMany(args: {
    organizationIds: readonly string[];
    systemNow: Date;
  }): Promise<Map<string, { entitlement: LoadedEntitlement; now: Date }>>;
  /** The cached entry whatever its version (the caller validates it against a version it read itself). */
  peek(organizationId: string): { version: number; entitlement: LoadedEntitlement } | undefined;
  /** Loads and caches the entitlement for a version the caller read. */
  refresh(args: {
    organizationId: string;
    version: number;
    systemNow: Date;
  }): Promise<LoadedEntitlement>;
}

/**
 * An in-process cache of effective entitlements. Every read first fetches the organization's entitlement
 * version (bumped by database triggers on any change it depends on) in one indexed query; a cached entry
 * is used only while its version matches and its time horizon (trial end, grace end, period end) has not
 * passed. So several server processes never answer from a stale entitlement after a committed change.
 */
export function createEntitlementCache({
  db,
  freePlanId,
  maxEntries = 50_000,
}: {
  db: Database;
  freePlanId: string;
  maxEntries?: number;
}): EntitlementCache {
  const entries = new Map<string, { version: number; entitlement: LoadedEntitlement }>();

  async function refresh({
    organizationId,
    version,
    systemNow,
  }: {
    organizationId: string;
    version: number;
    systemNow: Date;
  }): Promise<LoadedEntitlement> {
    const entitlement = await loadEntitlement({
      executor: db,
      organizationId,
      freePlanId,
      systemNow,
    });
    entries.delete(organizationId);
    entries.set(organizationId, { version, entitlement });
    if (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    return entitlement;
  }

  return {
    async getMany({ organizationIds, systemNow }) {
      const { rows } = await db.execute<{
        id: string;
        version: string;
        frozen_time: Date | null;
      }>(sql`
        select o.id, coalesce(v.version, 0)::text as version, c.frozen_time
          from organizations o
          left join entitlement_versions v on v.organization_id = o.id
          left join test_clocks c on c.id = o.test_clock_id
         where o.id = any(${sql.param([...organizationIds])}::text[])`);
      const result = new Map<string, { entitlement: LoadedEntitlement; now: Date }>();
      for (const row of rows) {
        const version = Number(row.version);
        const now = row.frozen_time ? new Date(row.frozen_time) : systemNow;
        const cached = entries.get(row.id);
        const entitlement =
          cached && cached.version === version && now < cached.entitlement.validUntil
            ? cached.entitlement
            : await refresh({ organizationId: row.id, version, systemNow });
        result.set(row.id, { entitlement, now });
      }
      return result;
    },
    peek: (organizationId) => entries.get(organizationId),
    refresh,
    async get({ organizationId, systemNow }) {
      const { rows } = await db.execute<{ version: string; frozen_time: Date | null }>(sql`
        select coalesce(v.version, 0)::text as version, c.frozen_time
          from organizations o
          left join entitlement_versions v on v.organization_id = o.id
          left join test_clocks c on c.id = o.test_clock_id
         where o.id = ${organizationId}`);
      const row = rows[0];
      if (!row) throw notFound("Organization", organizationId);
      const version = Number(row.version);
      const now = row.frozen_time ? new Date(row.frozen_time) : systemNow;
      const cached = entries.get(organizationId);
      if (cached && cached.version === version && now < cached.entitlement.validUntil) {
        return { entitlement: cached.entitlement, now };
      }
      return { entitlement: await refresh({ organizationId, version, systemNow }), now };
    },
  };
}
