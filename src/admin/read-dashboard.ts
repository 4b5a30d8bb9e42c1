import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { computeDashboard, type SubscriptionGroup } from "./compute-dashboard.ts";

const dayMs = 86_400_000;

/** An amount per currency, as the API answers it. */
export interface CurrencyAmount {
  currency: string;
  amount: bigint;
}

/**
 * The backoffice dashboard (docs/backoffice.md "Dashboard"): MRR per currency, live subscriptions by plan,
 * trials ending in the next 7 days, past-due subscriptions and the amount due on their open invoices,
 * failed payments in the last 30 days. A few grouped queries over indexed statuses; `now` is passed in.
 */
export async function readDashboard({ db, now }: { db: Database; now: Date }) {
  const groups = await db.execute<{
    plan_id: string;
    interval: "month" | "year";
    currency: string;
    status: string;
    count: string;
    list_amount: string;
  }>(sql`
    select s.plan_id, s.interval, s.currency, s.status, count(*)::text as count,
           coalesce(sum(price.unit_amount), 0)::text as list_amount
      from subscriptions s
      left join plan_prices price
        on price.plan_id = s.plan_id and price.version = s.plan_version
       and price.interval = s.interval and price.currency = s.currency
     where s.status in ('trialing', 'active', 'past_due')
     group by s.plan_id, s.interval, s.currency, s.status`);
  const { monthlyRecurringRevenue, subscriptionsByPlan } = computeDashboard({
    groups: groups.rows.map(
      (row): SubscriptionGroup => ({
        planId: row.plan_id,
        interval: row.interval,
        currency: row.currency,
        status: row.status,
        count: Number(row.count),
        listAmount: BigInt(row.list_amount),
      }),
    ),
  });
  const weekAhead = new Date(now.getTime() + 7 * dayMs);
  const [trials] = (
    await db.execute<{ count: string }>(sql`
      select count(*)::text as count from subscriptions
       where status = 'trialing' and trial_ends_at >= ${now.toISOString()}::timestamptz
         and trial_ends_at < ${weekAhead.toISOString()}::timestamptz`)
  ).rows;
  const atRisk = await db.execute<{ currency: string; amount: string; organizations: string }>(sql`
    select i.currency, sum(i.amount_due - i.amount_paid)::text as amount,
           count(distinct i.organization_id)::text as organizations
      from invoices i
      join subscriptions s on s.organization_id = i.organization_id and s.status = 'past_due'
     where i.status = 'open'
     group by i.currency`);
  const [pastDue] = (
    await db.execute<{ count: string }>(
      sql`select count(*)::text as count from subscriptions where status = 'past_due'`,
    )
  ).rows;
  const since = new Date(now.getTime() - 30 * dayMs);
  const failed = await db.execute<{ currency: string; amount: string; count: string }>(sql`
    select currency, sum(amount)::text as amount, count(*)::text as count
      from payments
     where status = 'failed' and created_at >= ${since.toISOString()}::timestamptz
     group by currency`);
  return {
    monthlyRecurringRevenue: [...monthlyRecurringRevenue].map(
      ([currency, amount]): CurrencyAmount => ({ currency, amount }),
    ),
    subscriptionsByPlan,
    trialsEndingThisWeek: Number(trials?.count ?? 0),
    pastDueSubscriptions: Number(pastDue?.count ?? 0),
    amountAtRisk: atRisk.rows.map(
      (row): CurrencyAmount => ({ currency: row.currency, amount: BigInt(row.amount) }),
    ),
    failedPayments: {
      count: failed.rows.reduce((sum, row) => sum + Number(row.count), 0),
      amounts: failed.rows.map(
        (row): CurrencyAmount => ({ currency: row.currency, amount: BigInt(row.amount) }),
      ),
    },
  };
}
