import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/database.ts";
import { entitlementGrants, usageCounters } from "../db/schema/index.ts";
import { AbonoError, validationError } from "../errors.ts";
import { publishUsageThresholds } from "../events/usage-thresholds.ts";
import type { FeatureEntitlement } from "./compute-effective-entitlement.ts";
import { type CounterState, describeFeatureUse, type FeatureUse } from "./describe-feature-use.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import { counterPeriodStart } from "./load-entitlement.ts";
import { maxUsageCounter } from "./usage-maximums.ts";
import { withUsagePartition } from "./usage-partitions.ts";

/** What one more use of `quantity` does to a counter, or why it is refused. */
export function applyUsage({
  feature,
  counter,
  purchasedAvailable,
  quantity,
}: {
  feature: FeatureEntitlement;
  counter: CounterState;
  purchasedAvailable: bigint;
  quantity: bigint;
}):
  | { ok: true; counter: CounterState; fromPurchased: bigint }
  | { ok: false; reason: "limit_reached" | "counter_maximum" } {
  if (quantity > 0n && counter.used + quantity > maxUsageCounter) {
    return { ok: false, reason: "counter_maximum" };
  }
  if (feature.kind === "limit") {
    const used = counter.used + quantity;
    if (quantity > 0n && feature.limit !== null && used > feature.limit) {
      return { ok: false, reason: "limit_reached" };
    }
    return { ok: true, counter: { ...counter, used: used < 0n ? 0n : used }, fromPurchased: 0n };
  }
  if (feature.limit === null) {
    return { ok: true, counter: { ...counter, used: counter.used + quantity }, fromPurchased: 0n };
  }
  const includedUsed = counter.used - counter.usedPurchased - counter.overage;
  const includedLeft = feature.limit > includedUsed ? feature.limit - includedUsed : 0n;
  const fromIncluded = quantity < includedLeft ? quantity : includedLeft;
  const rest = quantity - fromIncluded;
  const fromPurchased = rest < purchasedAvailable ? rest : purchasedAvailable;
  const overage = rest - fromPurchased;
  if (overage > 0n && feature.overagePrice === null) return { ok: false, reason: "limit_reached" };
  return {
    ok: true,
    counter: {
      used: counter.used + quantity,
      usedPurchased: counter.usedPurchased + fromPurchased,
      overage: counter.overage + overage,
    },
    fromPurchased,
  };
}

/** The usable feature for recording usage, or a clear refusal. */
function requireCountable({
  feature,
  featureKey,
  quantity,
}: {
  feature: FeatureEntitlement | undefined;
  featureKey: string;
  quantity: bigint;
}): FeatureEntitlement {
  if (!feature) throw validationError(`feature: no feature with key "${featureKey}".`);
  if (feature.kind === "boolean") {
    throw validationError(
      `feature: "${featureKey}" is a boolean feature; only limit and metered features count usage.`,
    );
  }
  if (quantity < 0n && feature.kind !== "limit") {
    throw validationError(
      `quantity: negative quantities are for limit features; "${featureKey}" is metered.`,
    );
  }
  if (quantity === 0n) throw validationError("quantity: must not be 0.");
  return feature;
}

function limitExceeded({ featureKey, use }: { featureKey: string; use: FeatureUse }): AbonoError {
  return new AbonoError(
    "limit_exceeded",
    use.reason === "limit_reached" || use.reason === null
      ? `The organization has no ${featureKey} left (used ${use.used} of ${use.limit ?? "unlimited"}); nothing was recorded.`
      : `The organization may not use ${featureKey} (${use.reason}); nothing was recorded.`,
    {
      feature: featureKey,
      reason: use.reason ?? "limit_reached",
      used: Number(use.used),
      limit: use.limit === null ? null : Number(use.limit),
    },
  );
}

/** Locks (creating if needed) a counter row and reads it with the purchased units available. */
async function lockCounter({
  tx,
  organizationId,
  featureKey,
  periodStart,
  now,
}: {
  tx: Transaction;
  organizationId: string;
  featureKey: string;
  periodStart: Date;
  now: Date;
}): Promise<{ counter: CounterState; purchasedAvailable: bigint }> {
  await tx
    .insert(usageCounters)
    .values({ organizationId, featureKey, periodStart, updatedAt: now })
    .onConflictDoNothing();
  const [row] = await tx
    .select()
    .from(usageCounters)
    .where(
      and(
        eq(usageCounters.organizationId, organizationId),
        eq(usageCounters.featureKey, featureKey),
        eq(usageCounters.periodStart, periodStart),
      ),
    )
    .for("update");
  const purchasedAvailable = await purchasedUnits({
    executor: tx,
    organizationId,
    featureKey,
    now,
  });
  return {
    counter: {
      used: row?.used ?? 0n,
      usedPurchased: row?.usedPurchased ?? 0n,
      overage: row?.overage ?? 0n,
    },
    purchasedAvailable,
  };
}

async function purchasedUnits({
  executor,
  organizationId,
  featureKey,
  now,
}: {
  executor: Database | Transaction;
  organizationId: string;
  featureKey: string;
  now: Date;
}): Promise<bigint> {
  const [row] = await executor
    .select({ remaining: sql<string>`coalesce(sum(${entitlementGrants.remaining}), 0)::text` })
    .from(entitlementGrants)
    .where(
      and(
        eq(entitlementGrants.organizationId, organizationId),
        eq(entitlementGrants.featureKey, featureKey),
        or(isNull(entitlementGrants.expiresAt), gt(entitlementGrants.expiresAt, now)),
      ),
    );
  return BigInt(row?.remaining ?? "0");
}

/** Takes `amount` purchased units from the grants that expire first. */
export async function consumeGrants({
  tx,
  organizationId,
  featureKey,
  amount,
  now,
}: {
  tx: Transaction;
  organizationId: string;
  featureKey: string;
  amount: bigint;
  now: Date;
}): Promise<void> {
  let left = amount;
  if (left <= 0n) return;
  const grants = await tx
    .select()
    .from(entitlementGrants)
    .where(
      and(
        eq(entitlementGrants.organizationId, organizationId),
        eq(entitlementGrants.featureKey, featureKey),
        gt(entitlementGrants.remaining, 0n),
        or(isNull(entitlementGrants.expiresAt), gt(entitlementGrants.expiresAt, now)),
      ),
    )
    .orderBy(sql`${entitlementGrants.expiresAt} asc nulls last`, asc(entitlementGrants.createdAt))
    .for("update");
  for (const grant of grants) {
    if (left <= 0n) break;
    const take = grant.remaining < left ? grant.remaining : left;
    await tx
      .update(entitlementGrants)
      .set({ remaining: grant.remaining - take })
      .where(eq(entitlementGrants.id, grant.id));
    left -= take;
  }
}

async function saveCounter({
  tx,
  organizationId,
  featureKey,
  periodStart,
  counter,
  now,
}: {
  tx: Transaction;
  organizationId: string;
  featureKey: string;
  periodStart: Date;
  counter: CounterState;
  now: Date;
}) {
  await tx
    .update(usageCounters)
    .set({
      used: counter.used,
      usedPurchased: counter.usedPurchased,
      overage: counter.overage,
      updatedAt: now,
    })
    .where(
      and(
        eq(usageCounters.organizationId, organizationId),
        eq(usageCounters.featureKey, featureKey),
        eq(usageCounters.periodStart, periodStart),
      ),
    );
}

/**
 * Records one usage event atomically (docs/entitlements.md "Recording usage"): the counter row is locked, so N
 * parallel requests against K remaining succeed exactly min(N, K) times; a repeated `eventId` counts once;
 * a refused event leaves nothing behind (409 `limit_exceeded`).
 */
export async function recordUsage({
  db,
  cache,
  organizationId,
  featureKey,
  quantity,
  eventId,
  systemNow,
}: {
  db: Database;
  cache: EntitlementCache;
  organizationId: string;
  featureKey: string;
  quantity: bigint;
  eventId: string;
  systemNow: Date;
}): Promise<{ duplicate: boolean; use: FeatureUse }> {
  const { entitlement, now } = await cache.get({ organizationId, systemNow });
  const feature = requireCountable({
    feature: entitlement.effective.features.get(featureKey),
    featureKey,
    quantity,
  });
  const periodStart = counterPeriodStart({
    kind: feature.kind,
    meteredPeriod: entitlement.meteredPeriod,
  });
  // Recorded at the system time: the event lands in that month's partition, created here if missing.
  const write = () =>
    db.transaction(async (tx) => {
      const { counter, purchasedAvailable } = await lockCounter({
        tx,
        organizationId,
        featureKey,
        periodStart,
        now,
      });
      // The event id is claimed in usage_event_ids (unique across every month's partition); the event is
      // kept only when the claim is new. A parallel repeat waits on the claim and then finds it taken.
      const inserted = await tx.execute<{ event_id: string }>(sql`
      with claimed as (
        insert into usage_event_ids (organization_id, event_id, recorded_at)
        values (${organizationId}, ${eventId}, ${systemNow.toISOString()}::timestamptz)
        on conflict do nothing
        returning organization_id, event_id, recorded_at
      )
      insert into usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
      select organization_id, event_id, ${featureKey}, ${quantity.toString()}::bigint,
             ${now.toISOString()}::timestamptz, recorded_at
        from claimed
      returning event_id`);
      const current = describeFeatureUse({ feature, counter, purchased: purchasedAvailable });
      if (inserted.rows.length === 0) return { duplicate: true, use: current };
      if (feature.denial !== null) throw limitExceeded({ featureKey, use: current });
      const applied = applyUsage({ feature, counter, purchasedAvailable, quantity });
      if (!applied.ok && applied.reason === "counter_maximum") {
        throw new AbonoError(
          "limit_exceeded",
          `The ${featureKey} counter would pass its maximum of ${maxUsageCounter} units per period (used ${counter.used}); nothing was recorded.`,
          {
            feature: featureKey,
            reason: "counter_maximum",
            used: Number(counter.used),
            maximum: Number(maxUsageCounter),
          },
        );
      }
      if (!applied.ok)
        throw limitExceeded({ featureKey, use: { ...current, reason: "limit_reached" } });
      await consumeGrants({ tx, organizationId, featureKey, amount: applied.fromPurchased, now });
      await saveCounter({
        tx,
        organizationId,
        featureKey,
        periodStart,
        counter: applied.counter,
        now,
      });
      await publishUsageThresholds({
        executor: tx,
        changes: [
          {
            organizationId,
            featureKey,
            feature,
            before: counter.used,
            after: applied.counter.used,
            periodStart,
            now,
          },
        ],
      });
      return {
        duplicate: false,
        use: describeFeatureUse({
          feature,
          counter: applied.counter,
          purchased: purchasedAvailable - applied.fromPurchased,
        }),
      };
    });
  return withUsagePartition({ executor: db, recordedAt: systemNow, write });
}
