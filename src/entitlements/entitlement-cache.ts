import { sql } from "drizzle-orm";
import type pg from "pg";
import type { Database } from "../db/database.ts";
import { notFound } from "../errors.ts";
import type { FeatureUse } from "./describe-feature-use.ts";
import type { EntitlementChange } from "./entitlement-change.ts";
import type { EntitlementListener } from "./entitlement-listener.ts";
import { createLiveEntitlements } from "./live-entitlements.ts";
import { type LoadedEntitlement, loadEntitlement } from "./load-entitlement.ts";
import { loadEntitlements } from "./load-entitlements.ts";

type CheckArgs = { organizationId: string; featureKey: string; systemNow: Date };

/** An entitlement as loaded for one entitlement version. */
export interface CachedEntitlement {
  version: number;
  entitlement: LoadedEntitlement;
}

export interface EntitlementCache {
  /**
   * The organization's entitlement and its "now": cached, but never older than the last committed change —
   * including one the caller just committed (always one version query, even while listening).
   */
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
  peek(organizationId: string): CachedEntitlement | undefined;
  /** Loads and caches the entitlement for a version the caller read. */
  refresh(args: {
    organizationId: string;
    version: number;
    systemNow: Date;
  }): Promise<LoadedEntitlement>;
  /** A check from memory, awaiting nothing: while listening, for an organization already loaded. */
  answer(args: CheckArgs): FeatureUse | undefined;
  /** While listening: loads the organization into memory and answers from it. Undefined otherwise. */
  answerAfterLoad(args: CheckArgs): Promise<FeatureUse> | undefined;
  /** Resolves once this process has handled every change committed before the call (read-your-writes). */
  settle(): Promise<void>;
  /**
   * Calls `handlers.change` for every committed change this process is notified of, and `reset` when the
   * listener connects or is lost (changes may have been missed). Returns a function that stops watching.
   * Without a listener nothing is ever notified.
   */
  watch(handlers: EntitlementWatcher): () => void;
  /** True while changes are being notified (the listener is live). */
  readonly watching: boolean;
}

export interface EntitlementWatcher {
  change(change: EntitlementChange): void;
  reset(): void;
}

/**
 * An in-process cache of effective entitlements, in two modes (docs/entitlements.md "Caching").
 *
 * Listening (`listener` live): feature checks (`answer`) are answered from memory, kept current by the
 * change notifications of the database triggers (see `live-entitlements.ts`). `get` and `getMany` stay
 * on the version check: callers read their own writes within the same request.
 *
 * Otherwise (no listener, or while it is connecting or lost): every read first fetches the organization's
 * entitlement version (bumped by database triggers on any change it depends on) in one indexed query; a
 * cached entry is used only while its version matches and its time horizon (trial end, grace end, period
 * end) has not passed. So several server processes never answer from a stale entitlement after a
 * committed change.
 */
export function createEntitlementCache({
  db,
  pool,
  freePlanId,
  listener,
  maxEntries = 50_000,
}: {
  db: Database;
  pool: pg.Pool;
  freePlanId: string;
  listener?: EntitlementListener;
  maxEntries?: number;
}): EntitlementCache {
  const entries = new Map<string, CachedEntitlement>();
  const live = listener
    ? createLiveEntitlements({ db, pool, freePlanId, listener, maxEntries })
    : undefined;
  const watchers = new Set<EntitlementWatcher>();
  listener?.handle({
    change(change) {
      // A catalog change can move any organization's entitlement without bumping its version.
      if (change.kind === "all") entries.clear();
      live?.apply(change);
      for (const watcher of watchers) watcher.change(change);
    },
    reset() {
      live?.reset();
      for (const watcher of watchers) watcher.reset();
    },
  });

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
    keep(organizationId, { version, entitlement });
    return entitlement;
  }

  function keep(organizationId: string, entry: CachedEntitlement) {
    entries.delete(organizationId);
    entries.set(organizationId, entry);
    if (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  }

  /** Each organization's entitlement and "now", after one query for their versions and clocks. */
  async function getCurrent(organizationIds: readonly string[], systemNow: Date) {
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
    const missing: { id: string; version: number; now: Date }[] = [];
    for (const row of rows) {
      const version = Number(row.version);
      const now = row.frozen_time ? new Date(row.frozen_time) : systemNow;
      const cached = currentEntitlement({ cached: entries.get(row.id), version, now });
      if (cached) result.set(row.id, { entitlement: cached, now });
      else missing.push({ id: row.id, version, now });
    }
    if (missing.length === 1) {
      const [only] = missing as [(typeof missing)[number]];
      const entitlement = await refresh({
        organizationId: only.id,
        version: only.version,
        systemNow,
      });
      result.set(only.id, { entitlement, now: only.now });
    } else if (missing.length > 1) {
      // Several at once: read in one set of queries, not one organization after another.
      const loaded = await loadEntitlements({
        executor: db,
        organizationIds: missing.map((entry) => entry.id),
        freePlanId,
        systemNow,
      });
      for (const { id, version, now } of missing) {
        const entitlement = loaded.get(id);
        if (!entitlement) continue;
        keep(id, { version, entitlement });
        result.set(id, { entitlement, now });
      }
    }
    return result;
  }

  return {
    answer: (args) => live?.answer(args),
    answerAfterLoad: (args) => (listener?.live ? live?.answerAfterLoad(args) : undefined),
    settle: () => listener?.sync() ?? Promise.resolve(),
    watch(watcher) {
      watchers.add(watcher);
      return () => watchers.delete(watcher);
    },
    get watching() {
      return listener?.live ?? false;
    },
    getMany: ({ organizationIds, systemNow }) => getCurrent(organizationIds, systemNow),
    peek: (organizationId) => entries.get(organizationId),
    refresh,
    async get({ organizationId, systemNow }) {
      const found = (await getCurrent([organizationId], systemNow)).get(organizationId);
      if (!found) throw notFound("Organization", organizationId);
      return found;
    },
  };
}

/** The cached entitlement if it may answer for `version` at `now` (same version, horizon not passed). */
export function currentEntitlement({
  cached,
  version,
  now,
}: {
  cached: CachedEntitlement | undefined;
  version: number;
  now: Date;
}): LoadedEntitlement | undefined {
  return cached !== undefined && cached.version === version && now < cached.entitlement.validUntil
    ? cached.entitlement
    : undefined;
}
