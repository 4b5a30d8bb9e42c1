import { and, eq, inArray, sql } from "drizzle-orm";
import type { Principal } from "../auth/principal.ts";
import { canActForOrganization } from "../auth/principal.ts";
import type { Database } from "../db/database.ts";
import { usageCounters, usageEvents } from "../db/schema/index.ts";
import type { FeatureEntitlement } from "./compute-effective-entitlement.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import { counterPeriodStart } from "./load-entitlement.ts";
import { applyUsage, consumeGrants, lockCounter } from "./record-usage.ts";

export interface BatchEvent {
  organizationId: string;
  feature: string;
  quantity: bigint;
  eventId: string;
  timestamp: Date | null;
}

export type RejectionCode =
  | "forbidden"
  | "not_found"
  | "unknown_feature"
  | "not_countable"
  | "limit_exceeded"
  | "organization_inactive"
  | "subscription_inactive"
  | "not_in_plan";

export interface BatchResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: RejectionCode }[];
}

/**
 * Bulk usage ingestion (`POST /v1/usage/batch`, up to 10,000 events) in one transaction: every event is
 * inserted with one `INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING` (repeats, in the batch or before it,
 * count once), then each (organization, feature) counter is locked once and the new events are applied in
 * order with the same rules as single events. Refused events are taken out again and reported by index.
 */
export async function ingestUsageBatch({
  db,
  cache,
  principal,
  events,
  systemNow,
}: {
  db: Database;
  cache: EntitlementCache;
  principal: Principal;
  events: readonly BatchEvent[];
  systemNow: Date;
}): Promise<BatchResult> {
  const rejected: { index: number; code: RejectionCode }[] = [];
  const features = new Map<
    string,
    { feature: FeatureEntitlement; periodStart: Date; now: Date } | null
  >();
  const usable: { index: number; event: BatchEvent; periodStart: Date; now: Date }[] = [];
  const permitted = (organizationId: string) =>
    canActForOrganization({
      principal,
      organizationId,
      roles: ["owner", "billing_admin", "member"],
    });
  const entitlements = await cache.getMany({
    organizationIds: [...new Set(events.map((event) => event.organizationId))].filter(permitted),
    systemNow,
  });
  for (const [index, event] of events.entries()) {
    if (!permitted(event.organizationId)) {
      rejected.push({ index, code: "forbidden" });
      continue;
    }
    const key = `${event.organizationId}\u0000${event.feature}`;
    if (!features.has(key)) {
      const loaded = entitlements.get(event.organizationId);
      if (!loaded) {
        rejected.push({ index, code: "not_found" });
        continue;
      }
      const feature = loaded.entitlement.effective.features.get(event.feature);
      features.set(
        key,
        feature
          ? {
              feature,
              periodStart: counterPeriodStart({
                kind: feature.kind,
                meteredPeriod: loaded.entitlement.meteredPeriod,
              }),
              now: loaded.now,
            }
          : null,
      );
    }
    const resolved = features.get(key);
    if (!resolved) {
      rejected.push({ index, code: "unknown_feature" });
      continue;
    }
    const { feature } = resolved;
    if (
      feature.kind === "boolean" ||
      event.quantity === 0n ||
      (event.quantity < 0n && feature.kind !== "limit")
    ) {
      rejected.push({ index, code: "not_countable" });
      continue;
    }
    if (feature.denial !== null) {
      rejected.push({
        index,
        code: feature.denial === "limit_reached" ? "limit_exceeded" : feature.denial,
      });
      continue;
    }
    usable.push({ index, event, periodStart: resolved.periodStart, now: resolved.now });
  }

  return db.transaction(async (tx) => {
    let duplicates = 0;
    let accepted = 0;
    if (usable.length > 0) {
      const inserted = await tx.execute<{ organization_id: string; event_id: string }>(sql`
        insert into usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
        select * from unnest(
          ${sql.param(usable.map(({ event }) => event.organizationId))}::text[],
          ${sql.param(usable.map(({ event }) => event.eventId))}::text[],
          ${sql.param(usable.map(({ event }) => event.feature))}::text[],
          ${sql.param(usable.map(({ event }) => event.quantity.toString()))}::bigint[],
          ${sql.param(usable.map(({ event, now }) => (event.timestamp ?? now).toISOString()))}::timestamptz[],
          ${sql.param(usable.map(() => systemNow.toISOString()))}::timestamptz[]
        )
        on conflict do nothing
        returning organization_id, event_id`);
      const fresh = new Set(
        inserted.rows.map((row) => `${row.organization_id}\u0000${row.event_id}`),
      );
      const claimed = new Set<string>();
      const groups = new Map<string, typeof usable>();
      for (const entry of usable) {
        const eventKey = `${entry.event.organizationId}\u0000${entry.event.eventId}`;
        if (!fresh.has(eventKey) || claimed.has(eventKey)) {
          duplicates += 1;
          continue;
        }
        claimed.add(eventKey);
        const groupKey = `${entry.event.organizationId}\u0000${entry.event.feature}`;
        const group = groups.get(groupKey) ?? [];
        group.push(entry);
        groups.set(groupKey, group);
      }
      const refusedEventIds: { organizationId: string; eventId: string }[] = [];
      for (const [groupKey, group] of groups) {
        const first = group[0];
        const resolved = features.get(groupKey);
        if (!first || !resolved) continue;
        const { organizationId, feature: featureKey } = first.event;
        let { counter, purchasedAvailable } = await lockCounter({
          tx,
          organizationId,
          featureKey,
          periodStart: first.periodStart,
          now: first.now,
          withPurchased: resolved.feature.kind === "metered" && resolved.feature.limit !== null,
        });
        let fromPurchased = 0n;
        for (const entry of group) {
          const applied = applyUsage({
            feature: resolved.feature,
            counter,
            purchasedAvailable,
            quantity: entry.event.quantity,
          });
          if (!applied.ok) {
            rejected.push({ index: entry.index, code: "limit_exceeded" });
            refusedEventIds.push({ organizationId, eventId: entry.event.eventId });
            continue;
          }
          counter = applied.counter;
          purchasedAvailable -= applied.fromPurchased;
          fromPurchased += applied.fromPurchased;
          accepted += 1;
        }
        await consumeGrants({
          tx,
          organizationId,
          featureKey,
          amount: fromPurchased,
          now: first.now,
        });
        await tx
          .update(usageCounters)
          .set({
            used: counter.used,
            usedPurchased: counter.usedPurchased,
            overage: counter.overage,
            updatedAt: first.now,
          })
          .where(
            and(
              eq(usageCounters.organizationId, organizationId),
              eq(usageCounters.featureKey, featureKey),
              eq(usageCounters.periodStart, first.periodStart),
            ),
          );
      }
      for (const { organizationId, eventId } of refusedEventIds) {
        await tx
          .delete(usageEvents)
          .where(
            and(
              eq(usageEvents.organizationId, organizationId),
              inArray(usageEvents.eventId, [eventId]),
            ),
          );
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted, duplicates, rejected };
  });
}
