import { sql } from "drizzle-orm";
import type { Principal } from "../auth/principal.ts";
import { canActForOrganization } from "../auth/principal.ts";
import type { Database } from "../db/database.ts";
import type { FeatureEntitlement } from "./compute-effective-entitlement.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import { counterPeriodStart } from "./load-entitlement.ts";
import { applyUsage, consumeGrants, purchasedUnits } from "./record-usage.ts";

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
      const work = [...groups.entries()].flatMap(([groupKey, group]) => {
        const first = group[0];
        const resolved = features.get(groupKey);
        return first && resolved ? [{ group, first, feature: resolved.feature }] : [];
      });
      // Every counter this batch touches, created if missing and locked in one fixed order.
      const keys = {
        organizations: work.map((entry) => entry.first.event.organizationId),
        features: work.map((entry) => entry.first.event.feature),
        periods: work.map((entry) => entry.first.periodStart.toISOString()),
      };
      await tx.execute(sql`
        insert into usage_counters (organization_id, feature_key, period_start, updated_at)
        select o, f, p, ${systemNow.toISOString()}::timestamptz
          from unnest(${sql.param(keys.organizations)}::text[], ${sql.param(keys.features)}::text[],
                      ${sql.param(keys.periods)}::timestamptz[]) as k(o, f, p)
        on conflict do nothing`);
      const locked = await tx.execute<{
        organization_id: string;
        feature_key: string;
        period_start: Date;
        used: string;
        used_purchased: string;
        overage: string;
      }>(sql`
        select c.organization_id, c.feature_key, c.period_start, c.used::text, c.used_purchased::text, c.overage::text
          from usage_counters c
          join unnest(${sql.param(keys.organizations)}::text[], ${sql.param(keys.features)}::text[],
                      ${sql.param(keys.periods)}::timestamptz[]) as k(o, f, p)
            on c.organization_id = k.o and c.feature_key = k.f and c.period_start = k.p
         order by c.organization_id, c.feature_key, c.period_start
           for update of c`);
      const counterOf = new Map(
        locked.rows.map((row) => [
          `${row.organization_id}\u0000${row.feature_key}\u0000${new Date(row.period_start).getTime()}`,
          {
            used: BigInt(row.used),
            usedPurchased: BigInt(row.used_purchased),
            overage: BigInt(row.overage),
          },
        ]),
      );
      const updates: {
        o: string;
        f: string;
        p: string;
        used: string;
        used_purchased: string;
        overage: string;
      }[] = [];
      for (const { group, first, feature } of work) {
        const { organizationId, feature: featureKey } = first.event;
        let counter = counterOf.get(
          `${organizationId}\u0000${featureKey}\u0000${first.periodStart.getTime()}`,
        ) ?? {
          used: 0n,
          usedPurchased: 0n,
          overage: 0n,
        };
        let purchasedAvailable =
          feature.kind === "metered" && feature.limit !== null
            ? await purchasedUnits({ executor: tx, organizationId, featureKey, now: first.now })
            : 0n;
        let fromPurchased = 0n;
        for (const entry of group) {
          const applied = applyUsage({
            feature,
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
        updates.push({
          o: organizationId,
          f: featureKey,
          p: first.periodStart.toISOString(),
          used: counter.used.toString(),
          used_purchased: counter.usedPurchased.toString(),
          overage: counter.overage.toString(),
        });
      }
      if (updates.length > 0) {
        await tx.execute(sql`
          update usage_counters c
             set used = x.used, used_purchased = x.used_purchased, overage = x.overage,
                 updated_at = ${systemNow.toISOString()}::timestamptz
            from json_to_recordset(${JSON.stringify(updates)}::json)
                 as x(o text, f text, p timestamptz, used bigint, used_purchased bigint, overage bigint)
           where c.organization_id = x.o and c.feature_key = x.f and c.period_start = x.p`);
      }
      if (refusedEventIds.length > 0) {
        await tx.execute(sql`
          delete from usage_events e
           using unnest(${sql.param(refusedEventIds.map((entry) => entry.organizationId))}::text[],
                        ${sql.param(refusedEventIds.map((entry) => entry.eventId))}::text[]) as r(o, e)
           where e.organization_id = r.o and e.event_id = r.e`);
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted, duplicates, rejected };
  });
}
