import { sql } from "drizzle-orm";
import type { Principal } from "../auth/principal.ts";
import { canActForOrganization } from "../auth/principal.ts";
import { arrayParam } from "../db/array-param.ts";
import type { Database, Transaction } from "../db/database.ts";
import { publishUsageThresholds, type UsageChange } from "../events/usage-thresholds.ts";
import type { FeatureEntitlement } from "./compute-effective-entitlement.ts";
import type { EntitlementCache } from "./entitlement-cache.ts";
import { counterPeriodStart } from "./load-entitlement.ts";
import { applyUsage, consumeGrants } from "./record-usage.ts";
import { maxUsageCounter } from "./usage-maximums.ts";
import { withUsagePartition } from "./usage-partitions.ts";

export interface BatchEvent {
  organizationId: string;
  feature: string;
  quantity: bigint;
  eventId: string;
  timestamp: Date | null;
}

/** Why one event of a batch was refused (`rejected[].code`; listed in docs/errors.md). */
export const rejectionCodes = [
  "forbidden",
  "not_found",
  "unknown_feature",
  "not_countable",
  "limit_exceeded",
  "organization_inactive",
  "subscription_inactive",
  "not_in_plan",
] as const;

export type RejectionCode = (typeof rejectionCodes)[number];

export interface BatchResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: RejectionCode }[];
}

/** The events of one (organization, feature) in a batch, and what they count against. */
interface Group {
  organizationId: string;
  featureKey: string;
  feature: FeatureEntitlement;
  periodStart: Date;
  now: Date;
  /** Positions in the insert's columns, in batch order. */
  positions: number[];
  /** Every quantity is positive: with no limit, the events add up whatever their order. */
  positive: boolean;
  /** The sum of the group's quantities. */
  quantity: bigint;
}

const forbiddenOrganization = Symbol("forbidden");
const missingOrganization = Symbol("not found");

/**
 * Bulk usage ingestion (`POST /v1/usage/batch`, up to 10,000 events) in one transaction. Each counter the
 * batch touches is first locked once, in a fixed order. Then one statement claims every event id in
 * `usage_event_ids` (`INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING`: repeats, in the batch or before
 * it, in any month, count once) and inserts into `usage_events` (partitioned by month of recording, the
 * month's partition created if missing) the newly claimed events of the features that cannot refuse any
 * (unlimited, positive quantities); when it claimed fewer ids than events, one more query tells which. An
 * unlimited feature's counter adds the sum of its new events; a limited one applies them in order with the
 * same rules as single events, its accepted events are inserted then, and refused ones are reported by
 * index, their claims taken out again.
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
  const organizationIds = [...new Set(events.map((event) => event.organizationId))];
  const permitted = organizationIds.filter((organizationId) =>
    canActForOrganization({
      principal,
      organizationId,
      roles: ["owner", "billing_admin", "member"],
    }),
  );
  const entitlements = await cache.getMany({ organizationIds: permitted, systemNow });
  const organizations = new Map<
    string,
    Map<string, Group | null> | typeof forbiddenOrganization | typeof missingOrganization
  >(organizationIds.map((organizationId) => [organizationId, forbiddenOrganization]));
  for (const organizationId of permitted) {
    organizations.set(
      organizationId,
      entitlements.has(organizationId) ? new Map() : missingOrganization,
    );
  }

  // The insert's columns, for the events that may count; an occurred_at of null is the system time.
  const columns = {
    organizations: [] as string[],
    eventIds: [] as string[],
    features: [] as string[],
    quantities: [] as string[],
    occurredAt: [] as (string | null)[],
    indexes: [] as number[],
  };
  const groups: Group[] = [];
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as BatchEvent;
    const features = organizations.get(event.organizationId);
    if (features === forbiddenOrganization || features === undefined) {
      rejected.push({ index, code: "forbidden" });
      continue;
    }
    if (features === missingOrganization) {
      rejected.push({ index, code: "not_found" });
      continue;
    }
    let group = features.get(event.feature);
    if (group === undefined) {
      const loaded = entitlements.get(event.organizationId);
      const feature = loaded?.entitlement.effective.features.get(event.feature);
      group =
        loaded && feature
          ? {
              organizationId: event.organizationId,
              featureKey: event.feature,
              feature,
              periodStart: counterPeriodStart({
                kind: feature.kind,
                meteredPeriod: loaded.entitlement.meteredPeriod,
              }),
              now: loaded.now,
              positions: [],
              positive: true,
              quantity: 0n,
            }
          : null;
      features.set(event.feature, group);
      if (group) groups.push(group);
    }
    if (!group) {
      rejected.push({ index, code: "unknown_feature" });
      continue;
    }
    const { feature } = group;
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
    if (event.quantity < 0n) group.positive = false;
    group.quantity += event.quantity;
    group.positions.push(columns.indexes.length);
    columns.organizations.push(event.organizationId);
    columns.eventIds.push(event.eventId);
    columns.features.push(event.feature);
    columns.quantities.push(event.quantity.toString());
    const occurredAt = event.timestamp ?? group.now;
    columns.occurredAt.push(
      occurredAt.getTime() === systemNow.getTime() ? null : occurredAt.toISOString(),
    );
    columns.indexes.push(index);
  }

  // A repeat of an event id earlier in the batch is a duplicate whatever the database holds: only the
  // first occurrence of each id is offered to the insert.
  const firstSeen = new Set<string>();
  const first: number[] = [];
  for (let position = 0; position < columns.eventIds.length; position++) {
    const key = `${columns.organizations[position]}\u0000${columns.eventIds[position]}`;
    if (firstSeen.has(key)) continue;
    firstSeen.add(key);
    first.push(position);
  }
  const offered = first.length === columns.eventIds.length ? columns : pick(columns, first);
  const rejectedBefore = rejected.length;

  // Recorded at the system time: the events land in that month's partition, created here if missing.
  const write = () =>
    db.transaction(async (tx) => {
      rejected.length = rejectedBefore;
      let duplicates = 0;
      let accepted = 0;
      const work = groups.filter((group) => group.positions.length > 0);
      if (work.length > 0) {
        const now = systemNow.toISOString();
        // Every counter this batch may touch, created if missing and locked in one fixed order before any
        // event id is claimed (as a single event does, so the two never wait on each other crosswise).
        const keys = {
          organizations: work.map((group) => group.organizationId),
          features: work.map((group) => group.featureKey),
          periods: work.map((group) => group.periodStart.toISOString()),
        };
        await tx.execute(sql`
        insert into usage_counters (organization_id, feature_key, period_start, updated_at)
        select o, f, p, ${now}::timestamptz
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
        const counterKey = (group: Group) =>
          `${group.organizationId}\u0000${group.featureKey}\u0000${group.periodStart.getTime()}`;

        // A group none of whose events can be refused (no limit, positive quantities, and room under the
        // counter maximum even if every one is new) keeps its new events in the statement that claims
        // their ids; the other groups' events are kept once their counter has taken them.
        const direct = new Set(
          work.filter(
            (group) =>
              summable(group) &&
              (counterOf.get(counterKey(group))?.used ?? 0n) + group.quantity <= maxUsageCounter,
          ),
        );
        const keptAt: string[] = new Array(columns.indexes.length).fill("f");
        for (const group of direct) for (const position of group.positions) keptAt[position] = "t";
        const offeredKept =
          offered === columns ? keptAt : first.map((position) => keptAt[position] as string);
        // Each event id is claimed in usage_event_ids (unique across every month's partition of
        // usage_events); only the events whose claim is new are kept. A parallel batch repeating an id
        // waits on the claim and then finds it taken. Claims are made in one order (organization, id)
        // whatever the batch's: two batches that share ids, on features whose counters do not order
        // them, would otherwise each wait on a claim the other made (a deadlock).
        const claim = await tx.execute<{ claimed: number }>(sql`
          with x as (
            select * from unnest(
              ${arrayParam(offered.organizations)}::text[],
              ${arrayParam(offered.eventIds)}::text[],
              ${arrayParam(offered.features)}::text[],
              ${arrayParam(offered.quantities)}::bigint[],
              ${arrayParam(offered.occurredAt)}::timestamptz[],
              ${arrayParam(offeredKept)}::boolean[]
            ) as x(o, e, f, q, t, k)
          ), claimed as (
            insert into usage_event_ids (organization_id, event_id, recorded_at)
            select o, e, ${now}::timestamptz from x order by o, e
            on conflict do nothing
            returning organization_id, event_id
          ), kept as (
            insert into usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
            select x.o, x.e, x.f, x.q, coalesce(x.t, ${now}::timestamptz), ${now}::timestamptz
              from x join claimed c on c.organization_id = x.o and c.event_id = x.e
             where x.k
          )
          select count(*)::int as claimed from claimed`);
        const claimedCount = Number(claim.rows[0]?.claimed ?? 0);
        // Usually every event is new; otherwise find out which ones this transaction claimed.
        const fresh =
          claimedCount === columns.indexes.length
            ? null
            : claimedCount === first.length
              ? new Set(first)
              : await insertedPositions({ tx, columns });
        const counted = work.flatMap((group) => {
          const positions = fresh
            ? group.positions.filter((position) => fresh.has(position))
            : group.positions;
          duplicates += group.positions.length - positions.length;
          if (positions.length === 0) return [];
          let quantity = group.quantity;
          if (fresh) {
            quantity = 0n;
            for (const position of positions) {
              quantity += events[columns.indexes[position] ?? 0]?.quantity ?? 0n;
            }
          }
          return [{ group, positions, quantity }];
        });

        // Purchased units left for every limited metered counter, read once for all of them.
        const purchased = await purchasedUnitsOf({
          tx,
          groups: counted
            .map(({ group }) => group)
            .filter((group) => group.feature.kind === "metered" && group.feature.limit !== null),
        });
        const refusedEventIds: { organizationId: string; eventId: string }[] = [];
        // The events of the other groups their counters took, kept after the loop.
        const takenLater: number[] = [];
        const updates: {
          o: string;
          f: string;
          p: string;
          used: string;
          used_purchased: string;
          overage: string;
        }[] = [];
        const usageChanges: UsageChange[] = [];
        for (const { group, positions, quantity } of counted) {
          const { organizationId, featureKey, feature } = group;
          let counter = counterOf.get(counterKey(group)) ?? {
            used: 0n,
            usedPurchased: 0n,
            overage: 0n,
          };
          const usedBefore = counter.used;
          if (direct.has(group)) {
            counter = { ...counter, used: counter.used + quantity };
            accepted += positions.length;
          } else {
            let purchasedAvailable = purchased.get(groupKey(group)) ?? 0n;
            let fromPurchased = 0n;
            for (const position of positions) {
              const index = columns.indexes[position] ?? 0;
              const event = events[index] as BatchEvent;
              const applied = applyUsage({
                feature,
                counter,
                purchasedAvailable,
                quantity: event.quantity,
              });
              if (!applied.ok) {
                rejected.push({ index, code: "limit_exceeded" });
                refusedEventIds.push({ organizationId, eventId: event.eventId });
                continue;
              }
              counter = applied.counter;
              purchasedAvailable -= applied.fromPurchased;
              fromPurchased += applied.fromPurchased;
              takenLater.push(position);
              accepted += 1;
            }
            await consumeGrants({
              tx,
              organizationId,
              featureKey,
              amount: fromPurchased,
              now: group.now,
            });
          }
          usageChanges.push({
            organizationId,
            featureKey,
            feature,
            before: usedBefore,
            after: counter.used,
            periodStart: group.periodStart,
            now: group.now,
          });
          updates.push({
            o: organizationId,
            f: featureKey,
            p: group.periodStart.toISOString(),
            used: counter.used.toString(),
            used_purchased: counter.usedPurchased.toString(),
            overage: counter.overage.toString(),
          });
        }
        if (takenLater.length > 0) {
          const later = pick(
            columns,
            takenLater.sort((a, b) => a - b),
          );
          await tx.execute(sql`
            insert into usage_events (organization_id, event_id, feature_key, quantity, occurred_at, recorded_at)
            select o, e, f, q, coalesce(t, ${now}::timestamptz), ${now}::timestamptz
              from unnest(
                ${arrayParam(later.organizations)}::text[],
                ${arrayParam(later.eventIds)}::text[],
                ${arrayParam(later.features)}::text[],
                ${arrayParam(later.quantities)}::bigint[],
                ${arrayParam(later.occurredAt)}::timestamptz[]
              ) as x(o, e, f, q, t)`);
        }
        if (updates.length > 0) {
          await tx.execute(sql`
          update usage_counters c
             set used = x.used, used_purchased = x.used_purchased, overage = x.overage,
                 updated_at = ${now}::timestamptz
            from json_to_recordset(${JSON.stringify(updates)}::json)
                 as x(o text, f text, p timestamptz, used bigint, used_purchased bigint, overage bigint)
           where c.organization_id = x.o and c.feature_key = x.f and c.period_start = x.p`);
        }
        await publishUsageThresholds({ executor: tx, changes: usageChanges });
        if (refusedEventIds.length > 0) {
          // Refused events leave nothing behind: they were never kept, and their ids' claims go (a resend
          // may count).
          const refusedOrganizations = refusedEventIds.map((entry) => entry.organizationId);
          const refusedIds = refusedEventIds.map((entry) => entry.eventId);
          await tx.execute(sql`
          delete from usage_event_ids d
           using unnest(${sql.param(refusedOrganizations)}::text[], ${sql.param(refusedIds)}::text[]) as r(o, e)
           where d.organization_id = r.o and d.event_id = r.e`);
        }
      }
      rejected.sort((a, b) => a.index - b.index);
      return { accepted, duplicates, rejected: [...rejected] };
    });
  return withUsagePartition({ executor: db, recordedAt: systemNow, write });
}

type Columns = {
  organizations: string[];
  eventIds: string[];
  features: string[];
  quantities: string[];
  occurredAt: (string | null)[];
};

/** The insert's columns at some positions only. */
function pick(columns: Columns, positions: readonly number[]): Columns {
  return {
    organizations: positions.map((position) => columns.organizations[position] as string),
    eventIds: positions.map((position) => columns.eventIds[position] as string),
    features: positions.map((position) => columns.features[position] as string),
    quantities: positions.map((position) => columns.quantities[position] as string),
    occurredAt: positions.map((position) => columns.occurredAt[position] ?? null),
  };
}

const groupKey = (group: Pick<Group, "organizationId" | "featureKey">) =>
  `${group.organizationId}\u0000${group.featureKey}`;

/** Units left in the unexpired grants of each group's feature, at its organization's "now", by `groupKey`. */
async function purchasedUnitsOf({
  tx,
  groups,
}: {
  tx: Transaction;
  groups: readonly Group[];
}): Promise<Map<string, bigint>> {
  if (groups.length === 0) return new Map();
  const { rows } = await tx.execute<{ o: string; f: string; remaining: string }>(sql`
    select k.o, k.f, sum(g.remaining)::text as remaining
      from unnest(${sql.param(groups.map((group) => group.organizationId))}::text[],
                  ${sql.param(groups.map((group) => group.featureKey))}::text[],
                  ${sql.param(groups.map((group) => group.now.toISOString()))}::timestamptz[]) as k(o, f, n)
      join entitlement_grants g
        on g.organization_id = k.o and g.feature_key = k.f and (g.expires_at is null or g.expires_at > k.n)
     group by k.o, k.f`);
  return new Map(
    rows.map((row) => [
      groupKey({ organizationId: row.o, featureKey: row.f }),
      BigInt(row.remaining),
    ]),
  );
}

/** No limit and only positive quantities: no event can be refused, the counter just adds their sum. */
function summable(group: Group): boolean {
  return group.feature.limit === null && group.positive;
}

/**
 * When some events were repeats: the positions whose ids this transaction claimed. An id claimed by this
 * transaction (its `usage_event_ids` row's xmin) belongs to its first occurrence in the batch; later ones
 * are repeats.
 */
async function insertedPositions({
  tx,
  columns,
}: {
  tx: Transaction;
  columns: { organizations: string[]; eventIds: string[] };
}): Promise<Set<number>> {
  const mine = await tx.execute<{ organization_id: string; event_id: string }>(sql`
    select e.organization_id, e.event_id
      from usage_event_ids e
      join unnest(${arrayParam(columns.organizations)}::text[],
                  ${arrayParam(columns.eventIds)}::text[]) as k(o, e)
        on e.organization_id = k.o and e.event_id = k.e
     where e.xmin = pg_current_xact_id()::xid`);
  const unclaimed = new Set(mine.rows.map((row) => `${row.organization_id}\u0000${row.event_id}`));
  const fresh = new Set<number>();
  for (let position = 0; position < columns.eventIds.length; position++) {
    if (unclaimed.delete(`${columns.organizations[position]}\u0000${columns.eventIds[position]}`))
      fresh.add(position);
  }
  return fresh;
}
