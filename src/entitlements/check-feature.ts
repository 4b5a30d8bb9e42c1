import type pg from "pg";
import { notFound } from "../errors.ts";
import { describeFeatureUse, type FeatureUse } from "./describe-feature-use.ts";
import { currentEntitlement, type EntitlementCache } from "./entitlement-cache.ts";
import { counterPeriodStart } from "./load-entitlement.ts";

type CheckRow = {
  version: string;
  frozen_time: Date | null;
  used: string | null;
  used_purchased: string | null;
  overage: string | null;
  purchased: string;
};

/**
 * Without a listener: "may organization X use feature Y?" in one query when the cached entitlement is
 * current — the version, the organization's clock, the counter and the purchased units together. A version
 * that moved (a committed change) reloads the entitlement before answering.
 */
const checkSql = `
  select coalesce(v.version, 0)::text as version, c.frozen_time,
         u.used::text as used, u.used_purchased::text as used_purchased, u.overage::text as overage,
         (select coalesce(sum(g.remaining), 0)::text from entitlement_grants g
           where g.organization_id = o.id and g.feature_key = $2
             and (g.expires_at is null or g.expires_at > coalesce(c.frozen_time, $4::timestamptz))) as purchased
    from organizations o
    left join entitlement_versions v on v.organization_id = o.id
    left join test_clocks c on c.id = o.test_clock_id
    left join usage_counters u on u.organization_id = o.id and u.feature_key = $2 and u.period_start = $3::timestamptz
   where o.id = $1`;

type CheckArgs = {
  pool: pg.Pool;
  cache: EntitlementCache;
  organizationId: string;
  featureKey: string;
  systemNow: Date;
};

/**
 * The hot path: "may organization X use feature Y, and how much is left?". While the process listens for
 * entitlement changes the answer comes from memory, synchronously (no promise, no round trip) once the
 * organization is loaded; otherwise from the database, never from a stale entitlement.
 */
export function checkFeature(args: CheckArgs): FeatureUse | Promise<FeatureUse> {
  return args.cache.answer(args) ?? args.cache.answerAfterLoad(args) ?? checkInDatabase(args);
}

async function checkInDatabase({
  pool,
  cache,
  organizationId,
  featureKey,
  systemNow,
}: CheckArgs): Promise<FeatureUse> {
  const read = async (periodStart: Date) => {
    // A named statement: PostgreSQL plans it once per connection, not on every check.
    const { rows } = await pool.query<CheckRow>({
      name: "abono_check_feature",
      text: checkSql,
      values: [organizationId, featureKey, periodStart.toISOString(), systemNow.toISOString()],
    });
    const row = rows[0];
    if (!row) throw notFound("Organization", organizationId);
    return row;
  };
  const cached = cache.peek(organizationId);
  const guess = cached?.entitlement.effective.features.get(featureKey);
  const guessedPeriod = counterPeriodStart({
    kind: guess?.kind ?? "limit",
    meteredPeriod: cached?.entitlement.meteredPeriod ?? { start: new Date(0), end: new Date(0) },
  });
  let row = await read(guessedPeriod);
  const now = row.frozen_time ? new Date(row.frozen_time) : systemNow;
  const version = Number(row.version);
  const entitlement =
    currentEntitlement({ cached, version, now }) ??
    (await cache.refresh({ organizationId, version, systemNow }));
  const feature = entitlement.effective.features.get(featureKey);
  if (!feature) throw notFound("Feature", featureKey);
  const periodStart = counterPeriodStart({
    kind: feature.kind,
    meteredPeriod: entitlement.meteredPeriod,
  });
  if (periodStart.getTime() !== guessedPeriod.getTime()) row = await read(periodStart);
  return describeFeatureUse({
    feature,
    counter: {
      used: BigInt(row.used ?? "0"),
      usedPurchased: BigInt(row.used_purchased ?? "0"),
      overage: BigInt(row.overage ?? "0"),
    },
    purchased: feature.kind === "metered" ? BigInt(row.purchased) : 0n,
  });
}
