import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import {
  computeMrrMovements,
  lastMonths,
  type MrrChange,
  type MrrMovement,
  monthBounds,
  mrrChangesFromSteps,
  type SubscriptionStep,
} from "./compute-mrr-movements.ts";

/** Payments collected through one provider in one month and currency (docs/backoffice.md). */
export interface ProviderRevenue {
  month: string;
  provider: string;
  currency: string;
  payments: number;
  /** What the payments collected, minor units. */
  amount: bigint;
  /** Of it, what has been refunded since. */
  refunded: bigint;
}

type Interval = "month" | "year";

/**
 * The dashboard's movements over the last `months` months (docs/backoffice.md "MRR movements" and
 * "Revenue by provider"): each subscription's history from its row (start, trial end, end) and its
 * `subscription.plan_changed` events, priced by the plan versions' list prices, folded by
 * `computeMrrMovements`; payments that succeeded grouped by month, provider and currency.
 */
export async function readDashboardMovements({
  db,
  now,
  months: monthCount = 12,
}: {
  db: Database;
  now: Date;
  months?: number;
}): Promise<{ mrrMovements: MrrMovement[]; revenueByProvider: ProviderRevenue[] }> {
  const months = lastMonths({ now, count: monthCount });
  const from = monthBounds(months[0] ?? "").start.toISOString();
  const until = now.toISOString();
  const subscriptions = await db.execute<{
    id: string;
    plan_id: string;
    plan_version: number;
    interval: Interval;
    currency: string;
    created_at: Date;
    trial_ends_at: Date | null;
    ended_at: Date | null;
  }>(sql`
    select id, plan_id, plan_version, interval, currency, created_at, trial_ends_at, ended_at
      from subscriptions
     where status <> 'incomplete' and created_at < ${until}::timestamptz
       and (ended_at is null or ended_at >= ${from}::timestamptz)`);
  const changes = await db.execute<{
    subscription_id: string;
    plan_id: string;
    interval: Interval;
    previous_plan_id: string;
    previous_interval: Interval;
    created_at: Date;
  }>(sql`
    select e.data->>'subscriptionId' as subscription_id, e.data->>'planId' as plan_id,
           e.data->>'interval' as interval, e.previous->>'planId' as previous_plan_id,
           e.previous->>'interval' as previous_interval, e.created_at
      from events e
     where e.type = 'subscription.plan_changed' and e.created_at < ${until}::timestamptz
     order by e.created_at, e.sequence`);
  const prices = await db.execute<{
    plan_id: string;
    version: number;
    interval: Interval;
    currency: string;
    unit_amount: string;
    created_at: Date;
  }>(sql`
    select p.plan_id, p.version, p.interval, p.currency, p.unit_amount::text as unit_amount,
           v.created_at
      from plan_prices p
      join plan_versions v on v.plan_id = p.plan_id and v.version = p.version
     order by v.created_at`);
  const changesBySubscription = new Map<string, typeof changes.rows>();
  for (const row of changes.rows) {
    const list = changesBySubscription.get(row.subscription_id) ?? [];
    list.push(row);
    changesBySubscription.set(row.subscription_id, list);
  }
  const mrrChanges: MrrChange[] = [];
  for (const subscription of subscriptions.rows) {
    const planChanges = changesBySubscription.get(subscription.id) ?? [];
    const first = planChanges[0];
    const steps: SubscriptionStep[] = [
      {
        kind: "started",
        at: new Date(subscription.created_at),
        planId: first ? first.previous_plan_id : subscription.plan_id,
        interval: first ? first.previous_interval : subscription.interval,
        trialEndsAt: subscription.trial_ends_at && new Date(subscription.trial_ends_at),
      },
      ...planChanges.map(
        (change): SubscriptionStep => ({
          kind: "plan_changed",
          at: new Date(change.created_at),
          planId: change.plan_id,
          interval: change.interval,
        }),
      ),
      ...(subscription.ended_at
        ? [{ kind: "ended" as const, at: new Date(subscription.ended_at) }]
        : []),
    ];
    const lastPlanAt = new Date(planChanges.at(-1)?.created_at ?? subscription.created_at);
    mrrChanges.push(
      ...mrrChangesFromSteps({
        subscriptionId: subscription.id,
        currency: subscription.currency,
        steps,
        // The plan the subscription is on now is priced at its own version; earlier ones at the version
        // that was the plan's latest when the subscription moved to it (the first, for older history).
        priceAt: ({ planId, interval, at }) => {
          const candidates = prices.rows.filter(
            (price) =>
              price.plan_id === planId &&
              price.interval === interval &&
              price.currency === subscription.currency,
          );
          const current =
            planId === subscription.plan_id && at >= lastPlanAt
              ? candidates.find((price) => price.version === subscription.plan_version)
              : undefined;
          // History older than every version (imported) is priced at the first version.
          const inForce =
            current ??
            candidates.filter((price) => new Date(price.created_at) <= at).at(-1) ??
            candidates[0];
          return inForce ? BigInt(inForce.unit_amount) : null;
        },
      }),
    );
  }
  const revenue = await db.execute<{
    month: string;
    provider: string;
    currency: string;
    payments: string;
    amount: string;
    refunded: string;
  }>(sql`
    select to_char(created_at at time zone 'UTC', 'YYYY-MM') as month, provider, currency,
           count(*)::text as payments, sum(amount)::text as amount,
           sum(amount_refunded)::text as refunded
      from payments
     where status in ('succeeded', 'refunded')
       and created_at >= ${from}::timestamptz and created_at < ${until}::timestamptz
     group by 1, 2, 3
     order by 1, 2, 3`);
  return {
    mrrMovements: computeMrrMovements({ changes: mrrChanges, months, now }),
    revenueByProvider: revenue.rows.map((row) => ({
      month: row.month,
      provider: row.provider,
      currency: row.currency,
      payments: Number(row.payments),
      amount: BigInt(row.amount),
      refunded: BigInt(row.refunded),
    })),
  };
}
