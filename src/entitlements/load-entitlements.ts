import { and, gt, inArray, isNull, or } from "drizzle-orm";
import { loadAddonVersions } from "../catalog/addons.ts";
import { loadFeatureMap } from "../catalog/features.ts";
import { loadPlanVersions } from "../catalog/plans.ts";
import type { Executor } from "../db/database.ts";
import {
  entitlementOverrides,
  organizationEntitlements,
  organizations,
  plans,
  subscriptionItems,
  subscriptions,
  testClocks,
} from "../db/schema/index.ts";
import { liveStatuses, type SubscriptionRow } from "../subscriptions/subscription-records.ts";
import { assembleEntitlement, type LoadedEntitlement } from "./load-entitlement.ts";

const versionKey = (planId: string, version: number) => `${planId}\u0000${version}`;

function groupBy<Row>(rows: readonly Row[], key: (row: Row) => string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

/**
 * `loadEntitlement` for many organizations in a fixed number of queries (about a dozen, whatever their
 * number): the same rows, read with `= any(...)` instead of one organization at a time, and the same
 * computation (`assembleEntitlement`) applied to each organization's. Unknown ids are left out of the map.
 * The caller pages: every id is sent in each query.
 */
export async function loadEntitlements({
  executor,
  organizationIds,
  freePlanId,
  systemNow,
}: {
  executor: Executor;
  organizationIds: readonly string[];
  freePlanId: string;
  systemNow: Date;
}): Promise<Map<string, LoadedEntitlement>> {
  const result = new Map<string, LoadedEntitlement>();
  const ids = [...new Set(organizationIds)];
  if (ids.length === 0) return result;
  const organizationRows = await executor
    .select()
    .from(organizations)
    .where(inArray(organizations.id, ids));
  if (organizationRows.length === 0) return result;
  const found = organizationRows.map((row) => row.id);

  const clockIds = [
    ...new Set(organizationRows.flatMap((row) => (row.testClockId ? [row.testClockId] : []))),
  ];
  const clocks =
    clockIds.length === 0
      ? []
      : await executor
          .select({ id: testClocks.id, frozenTime: testClocks.frozenTime })
          .from(testClocks)
          .where(inArray(testClocks.id, clockIds));
  const frozen = new Map(clocks.map((clock) => [clock.id, clock.frozenTime]));
  // organizationNow: the test clock's frozen time, else the system time.
  const nowOf = new Map(
    organizationRows.map((row) => [
      row.id,
      (row.testClockId ? frozen.get(row.testClockId) : undefined) ?? systemNow,
    ]),
  );
  const earliest = new Date(Math.min(...[...nowOf.values()].map((now) => now.getTime())));

  const states = await executor
    .select()
    .from(organizationEntitlements)
    .where(inArray(organizationEntitlements.organizationId, found));
  const stateOf = new Map(states.map((state) => [state.organizationId, state]));
  const planRows = await executor
    .select()
    .from(plans)
    .where(inArray(plans.id, [...new Set([...states.map((state) => state.planId), freePlanId])]));
  const planOf = new Map(planRows.map((row) => [row.id, row]));
  const free = planOf.get(freePlanId);

  // Each organization's references, in loadEntitlement's order: its plan's version, then the free plan's.
  const referencesOf = new Map(
    found.map((id) => {
      const state = stateOf.get(id);
      const plan = planOf.get(state?.planId ?? freePlanId);
      return [
        id,
        [
          ...(plan
            ? [{ planId: plan.id, version: state?.planVersion ?? plan.currentVersion }]
            : []),
          ...(free ? [{ planId: free.id, version: free.currentVersion }] : []),
        ],
      ] as const;
    }),
  );
  const distinct = new Map(
    [...referencesOf.values()]
      .flat()
      .map((reference) => [versionKey(reference.planId, reference.version), reference]),
  );
  const versions = await loadPlanVersions(executor, [...distinct.values()]);
  const versionOf = new Map(
    versions.map((version) => [versionKey(version.id, version.version), version]),
  );

  const subscriptionRows = await executor
    .select()
    .from(subscriptions)
    .where(
      and(
        inArray(subscriptions.organizationId, found),
        inArray(subscriptions.status, [...liveStatuses]),
      ),
    );
  // findLiveSubscription: the first live one.
  const subscriptionOf = new Map<string, SubscriptionRow>();
  for (const row of subscriptionRows)
    if (!subscriptionOf.has(row.organizationId)) subscriptionOf.set(row.organizationId, row);
  const subscriptionIds = [...subscriptionOf.values()].map((row) => row.id);
  const items =
    subscriptionIds.length === 0
      ? []
      : await executor
          .select()
          .from(subscriptionItems)
          .where(inArray(subscriptionItems.subscriptionId, subscriptionIds));
  const itemsOf = groupBy(items, (item) => item.subscriptionId);
  const addonTuples = new Map(
    items.map((item) => [
      versionKey(item.addonId, item.addonVersion),
      [item.addonId, item.addonVersion] as [string, number],
    ]),
  );
  const addons = await loadAddonVersions(executor, [...addonTuples.values()]);

  // Every override live at the earliest "now"; each organization's are filtered again at its own.
  const overrides = await executor
    .select()
    .from(entitlementOverrides)
    .where(
      and(
        inArray(entitlementOverrides.organizationId, found),
        or(isNull(entitlementOverrides.expiresAt), gt(entitlementOverrides.expiresAt, earliest)),
      ),
    );
  const overridesOf = groupBy(overrides, (override) => override.organizationId);
  const features = await loadFeatureMap(executor);

  for (const organization of organizationRows) {
    const state = stateOf.get(organization.id);
    const plan = planOf.get(state?.planId ?? freePlanId);
    const loaded = (referencesOf.get(organization.id) ?? []).flatMap((reference) => {
      const version = versionOf.get(versionKey(reference.planId, reference.version));
      return version ? [version] : [];
    });
    const subscription = subscriptionOf.get(organization.id) ?? null;
    const subscriptionItemsOf = subscription ? (itemsOf.get(subscription.id) ?? []) : [];
    result.set(
      organization.id,
      assembleEntitlement({
        organization,
        now: nowOf.get(organization.id) ?? systemNow,
        state,
        planVersion: plan ? loaded.find((version) => version.id === plan.id) : undefined,
        freeVersion: free ? loaded.find((version) => version.id === free.id) : undefined,
        subscription,
        items: subscriptionItemsOf,
        addons: addons.filter((addon) =>
          subscriptionItemsOf.some(
            (item) => item.addonId === addon.id && item.addonVersion === addon.version,
          ),
        ),
        overrides: overridesOf.get(organization.id) ?? [],
        features,
        freePlanId,
      }),
    );
  }
  return result;
}
