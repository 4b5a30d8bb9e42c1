import type { Plan } from "../catalog/catalog-types.ts";

export interface PlanRecommendation {
  recommendedPlanId: string | null;
  reason: string;
}

/**
 * Plan recommendation (docs/entitlements.md "Recommendation"): the cheapest offered plan whose limits cover the organization's recent
 * usage (the highest use of each limit or metered feature in recent periods), with the reason. Plans
 * without a price in the organization's currency and interval are not candidates.
 */
export function recommendPlan({
  plans,
  currentPlanId,
  usage,
  interval,
  currency,
}: {
  plans: readonly Plan[];
  currentPlanId: string;
  usage: Readonly<Record<string, bigint>>;
  interval: "month" | "year";
  currency: string;
}): PlanRecommendation {
  const priced = plans.flatMap((plan) => {
    const price = plan.prices.find(
      (entry) => entry.interval === interval && entry.currency === currency,
    );
    return price ? [{ plan, price: price.unitAmount }] : [];
  });
  const covers = (plan: Plan) =>
    Object.entries(usage).every(([feature, used]) => {
      const value = plan.features[feature];
      if (used <= 0n) return true;
      return value === null || (typeof value === "number" && BigInt(value) >= used);
    });
  const candidates = priced
    .filter(({ plan }) => covers(plan))
    .sort((a, b) => (a.price === b.price ? a.plan.tier - b.plan.tier : a.price < b.price ? -1 : 1));
  const best = candidates[0];
  const usageText = Object.entries(usage)
    .filter(([, used]) => used > 0n)
    .map(([feature, used]) => `${feature} ${used}`)
    .join(", ");
  if (!best) {
    return {
      recommendedPlanId: null,
      reason: `No offered plan covers your recent usage (${usageText || "none"}); contact us for a custom plan.`,
    };
  }
  if (best.plan.id === currentPlanId) {
    return {
      recommendedPlanId: best.plan.id,
      reason: `Your current plan is the cheapest that covers your recent usage (${usageText || "none"}).`,
    };
  }
  const current = priced.find(({ plan }) => plan.id === currentPlanId);
  const exceeded = current
    ? Object.entries(usage).filter(([feature, used]) => {
        const value = current.plan.features[feature];
        return used > 0n && value !== null && (typeof value !== "number" || BigInt(value) < used);
      })
    : [];
  const reason =
    exceeded.length > 0
      ? `Your recent usage exceeds ${current?.plan.name ?? currentPlanId} (${exceeded
          .map(
            ([feature, used]) =>
              `${feature} ${used} of ${String(current?.plan.features[feature] ?? 0)}`,
          )
          .join(", ")}); ${best.plan.name} is the cheapest plan that covers it.`
      : `${best.plan.name} covers your recent usage (${usageText || "none"}) for less.`;
  return { recommendedPlanId: best.plan.id, reason };
}
