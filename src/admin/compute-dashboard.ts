import { divideRounded } from "../money/index.ts";

/** Live subscriptions counted by plan, interval, currency and status, with the list price of their version. */
export interface SubscriptionGroup {
  planId: string;
  interval: "month" | "year";
  currency: string;
  status: string;
  count: number;
  /** The sum of the list prices of the group's subscriptions (their plan version's price), minor units. */
  listAmount: bigint;
}

/** A recurring price as a monthly amount: a yearly one ÷ 12, rounded half away from zero. */
export const monthlyAmount = ({
  interval,
  amount,
}: {
  interval: "month" | "year";
  amount: bigint;
}) => (interval === "year" ? divideRounded({ numerator: amount, denominator: 12n }) : amount);

export interface PlanCount {
  planId: string;
  active: number;
  trialing: number;
  pastDue: number;
}

/**
 * The dashboard's figures from grouped rows (pure). MRR is the list price of every active or past-due
 * subscription as a monthly amount (a yearly price ÷ 12, rounded half away from zero per group), per
 * currency; trials are not revenue yet. Coupons, add-ons and taxes are not in it.
 */
export function computeDashboard({ groups }: { groups: readonly SubscriptionGroup[] }): {
  monthlyRecurringRevenue: Map<string, bigint>;
  subscriptionsByPlan: PlanCount[];
} {
  const monthlyRecurringRevenue = new Map<string, bigint>();
  const byPlan = new Map<string, PlanCount>();
  for (const group of groups) {
    const plan = byPlan.get(group.planId) ?? {
      planId: group.planId,
      active: 0,
      trialing: 0,
      pastDue: 0,
    };
    if (group.status === "active") plan.active += group.count;
    if (group.status === "trialing") plan.trialing += group.count;
    if (group.status === "past_due") plan.pastDue += group.count;
    byPlan.set(group.planId, plan);
    if (group.status !== "active" && group.status !== "past_due") continue;
    const monthly = monthlyAmount({ interval: group.interval, amount: group.listAmount });
    monthlyRecurringRevenue.set(
      group.currency,
      (monthlyRecurringRevenue.get(group.currency) ?? 0n) + monthly,
    );
  }
  const subscriptionsByPlan = [...byPlan.values()].sort(
    (a, b) =>
      b.active + b.trialing + b.pastDue - (a.active + a.trialing + a.pastDue) ||
      a.planId.localeCompare(b.planId),
  );
  return { monthlyRecurringRevenue, subscriptionsByPlan };
}
