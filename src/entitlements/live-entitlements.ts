import type pg from "pg";
import type { Database } from "../db/database.ts";
import { notFound } from "../errors.ts";
import { type CounterState, describeFeatureUse, type FeatureUse } from "./describe-feature-use.ts";
import type { EntitlementChange } from "./entitlement-change.ts";
import type { EntitlementListener } from "./entitlement-listener.ts";
import { counterPeriodStart, type LoadedEntitlement, loadEntitlement } from "./load-entitlement.ts";

type CounterChange = Extract<EntitlementChange, { kind: "counter" }>;

interface CachedCounter extends CounterState {
  revision: number;
}

/** Everything a check reads for one organization: a load, plus every notification handled since. */
interface Snapshot {
  epoch: number;
  version: number;
  entitlement: LoadedEntitlement;
  testClockId: string | null;
  /** The organization's test clock time, or null: it lives in system time. */
  frozenTime: Date | null;
  /** The counter periods loaded (epoch ms): the live one and the current metered period. */
  periods: ReadonlySet<number>;
  /** By `counterKey`; a missing counter of a loaded period did not exist at the load (all zero). */
  counters: Map<string, CachedCounter>;
  /** Grants with units left, expired ones included: expiry is judged at each check's "now". */
  grants: { featureKey: string; remaining: bigint; expiresAt: number | null }[];
}

interface Loading {
  epoch: number;
  /** The highest entitlement version notified since the load started (0: none). */
  notifiedVersion: number;
  /** A change arrived that the load cannot account for: answer from it, never keep it. */
  spoiled: boolean;
  /** Counter changes notified since the load started, applied over it by revision. */
  counters: CounterChange[];
  promise: Promise<Snapshot>;
}

export interface LiveEntitlements {
  /** From memory, without awaiting anything; undefined when not listening or the organization is not loaded. */
  answer(args: {
    organizationId: string;
    featureKey: string;
    systemNow: Date;
  }): FeatureUse | undefined;
  /** Loads the organization (kept while listening) and answers from what was loaded. */
  answerAfterLoad(args: {
    organizationId: string;
    featureKey: string;
    systemNow: Date;
  }): Promise<FeatureUse>;
  apply(change: EntitlementChange): void;
  reset(): void;
}

const zero: CachedCounter = { used: 0n, usedPurchased: 0n, overage: 0n, revision: -1 };
const counterKey = (featureKey: string, periodStart: number) => `${featureKey}\u0000${periodStart}`;

const headSql = `
  select o.test_clock_id, c.frozen_time, coalesce(v.version, 0)::text as version
    from organizations o
    left join entitlement_versions v on v.organization_id = o.id
    left join test_clocks c on c.id = o.test_clock_id
   where o.id = $1`;
const countersSql = `
  select feature_key, (extract(epoch from period_start) * 1000)::bigint::text as period_start,
         used::text, used_purchased::text, overage::text, revision::text
    from usage_counters
   where organization_id = $1 and period_start = any($2::timestamptz[])`;
const grantsSql = `
  select feature_key, remaining::text, expires_at
    from entitlement_grants
   where organization_id = $1 and remaining > 0`;

/**
 * Checks answered from memory while the process LISTENs for entitlement changes (docs/entitlements.md
 * "Caching"). An organization is loaded once after the listener is live; from then on notifications keep
 * it current: counters are updated in place when the notified revision is newer, anything else (a new
 * entitlement version, grants consumed, a test clock moved, the catalog changed) drops it, to be loaded
 * again by the next check. A load records what is notified while it runs, so a change committed during
 * the load is never lost; losing the listener drops everything.
 */
export function createLiveEntitlements({
  db,
  pool,
  freePlanId,
  listener,
  maxEntries = 50_000,
  load: loadEntitlementFrom = loadEntitlement,
}: {
  db: Database;
  pool: Pick<pg.Pool, "query">;
  freePlanId: string;
  listener: Pick<EntitlementListener, "live" | "epoch">;
  maxEntries?: number;
  /** How an entitlement is loaded (tests slow it down to race notifications against it). */
  load?: typeof loadEntitlement;
}): LiveEntitlements {
  const snapshots = new Map<string, Snapshot>();
  const loadings = new Map<string, Loading>();

  function valid(snapshot: Snapshot | undefined, systemNow: Date): snapshot is Snapshot {
    return (
      snapshot !== undefined &&
      snapshot.epoch === listener.epoch &&
      listener.live &&
      (snapshot.frozenTime ?? systemNow) < snapshot.entitlement.validUntil
    );
  }

  function describe(snapshot: Snapshot, featureKey: string, systemNow: Date): FeatureUse {
    const now = (snapshot.frozenTime ?? systemNow).getTime();
    const feature = snapshot.entitlement.effective.features.get(featureKey);
    if (!feature) throw notFound("Feature", featureKey);
    const periodStart = counterPeriodStart({
      kind: feature.kind,
      meteredPeriod: snapshot.entitlement.meteredPeriod,
    }).getTime();
    let purchased = 0n;
    if (feature.kind === "metered") {
      for (const grant of snapshot.grants) {
        if (grant.featureKey === featureKey && (grant.expiresAt === null || grant.expiresAt > now))
          purchased += grant.remaining;
      }
    }
    return describeFeatureUse({
      feature,
      counter: snapshot.counters.get(counterKey(featureKey, periodStart)) ?? zero,
      purchased,
    });
  }

  function applyCounter(snapshot: Snapshot, change: CounterChange) {
    if (!snapshot.periods.has(change.periodStart)) return;
    const key = counterKey(change.featureKey, change.periodStart);
    const held = snapshot.counters.get(key);
    if (held && held.revision >= change.revision) return;
    snapshot.counters.set(key, {
      used: change.used,
      usedPurchased: change.usedPurchased,
      overage: change.overage,
      revision: change.revision,
    });
  }

  async function read(organizationId: string, systemNow: Date, loading: Loading) {
    const { rows: heads } = await pool.query<{
      test_clock_id: string | null;
      frozen_time: Date | null;
      version: string;
    }>({ name: "abono_live_head", text: headSql, values: [organizationId] });
    const head = heads[0];
    if (!head) throw notFound("Organization", organizationId);
    const entitlement = await loadEntitlementFrom({
      executor: db,
      organizationId,
      freePlanId,
      systemNow,
    });
    const periods = new Set([0, entitlement.meteredPeriod.start.getTime()]);
    const [counters, grants] = await Promise.all([
      pool.query<{
        feature_key: string;
        period_start: string;
        used: string;
        used_purchased: string;
        overage: string;
        revision: string;
      }>({
        name: "abono_live_counters",
        text: countersSql,
        values: [organizationId, [...periods].map((ms) => new Date(ms).toISOString())],
      }),
      pool.query<{ feature_key: string; remaining: string; expires_at: Date | null }>({
        name: "abono_live_grants",
        text: grantsSql,
        values: [organizationId],
      }),
    ]);
    const snapshot: Snapshot = {
      epoch: loading.epoch,
      version: Number(head.version),
      entitlement,
      testClockId: head.test_clock_id,
      frozenTime: head.frozen_time ? new Date(head.frozen_time) : null,
      periods,
      counters: new Map(
        counters.rows.map((row) => [
          counterKey(row.feature_key, Number(row.period_start)),
          {
            used: BigInt(row.used),
            usedPurchased: BigInt(row.used_purchased),
            overage: BigInt(row.overage),
            revision: Number(row.revision),
          },
        ]),
      ),
      grants: grants.rows.map((row) => ({
        featureKey: row.feature_key,
        remaining: BigInt(row.remaining),
        expiresAt: row.expires_at ? new Date(row.expires_at).getTime() : null,
      })),
    };
    for (const change of loading.counters) applyCounter(snapshot, change);
    return snapshot;
  }

  function install(organizationId: string, loading: Loading, snapshot: Snapshot) {
    if (
      loadings.get(organizationId) !== loading ||
      loading.spoiled ||
      loading.notifiedVersion > snapshot.version ||
      loading.epoch !== listener.epoch ||
      !listener.live
    ) {
      return;
    }
    snapshots.delete(organizationId);
    snapshots.set(organizationId, snapshot);
    if (snapshots.size > maxEntries) {
      const oldest = snapshots.keys().next().value;
      if (oldest !== undefined) snapshots.delete(oldest);
    }
  }

  function load(organizationId: string, systemNow: Date): Promise<Snapshot> {
    const running = loadings.get(organizationId);
    // Join a running load only if nothing it may have missed was notified since it started.
    if (
      running &&
      running.epoch === listener.epoch &&
      !running.spoiled &&
      running.notifiedVersion === 0
    ) {
      return running.promise;
    }
    const loading: Loading = {
      epoch: listener.epoch,
      notifiedVersion: 0,
      spoiled: false,
      counters: [],
      promise: Promise.resolve(undefined as never),
    };
    loadings.set(organizationId, loading);
    loading.promise = read(organizationId, systemNow, loading)
      .then((snapshot) => {
        install(organizationId, loading, snapshot);
        return snapshot;
      })
      .finally(() => {
        if (loadings.get(organizationId) === loading) loadings.delete(organizationId);
      });
    return loading.promise;
  }

  function spoilAll() {
    for (const loading of loadings.values()) loading.spoiled = true;
  }

  return {
    answer({ organizationId, featureKey, systemNow }) {
      const snapshot = snapshots.get(organizationId);
      return valid(snapshot, systemNow) ? describe(snapshot, featureKey, systemNow) : undefined;
    },
    async answerAfterLoad({ organizationId, featureKey, systemNow }) {
      return describe(await load(organizationId, systemNow), featureKey, systemNow);
    },
    apply(change) {
      switch (change.kind) {
        case "version": {
          const snapshot = snapshots.get(change.organizationId);
          if (snapshot && change.version > snapshot.version)
            snapshots.delete(change.organizationId);
          const loading = loadings.get(change.organizationId);
          if (loading && change.version > loading.notifiedVersion)
            loading.notifiedVersion = change.version;
          return;
        }
        case "counter": {
          const snapshot = snapshots.get(change.organizationId);
          if (snapshot) applyCounter(snapshot, change);
          loadings.get(change.organizationId)?.counters.push(change);
          return;
        }
        case "organization": {
          snapshots.delete(change.organizationId);
          const loading = loadings.get(change.organizationId);
          if (loading) loading.spoiled = true;
          return;
        }
        case "clock": {
          for (const [organizationId, snapshot] of snapshots) {
            if (snapshot.testClockId === change.testClockId) snapshots.delete(organizationId);
          }
          spoilAll();
          return;
        }
        case "all": {
          snapshots.clear();
          spoilAll();
          return;
        }
      }
    },
    reset() {
      snapshots.clear();
      spoilAll();
    },
  };
}
