import type { ReactNode } from "react";
import { useAbono } from "./provider.js";
import type { FeatureInfo, Interval, PlanPrice, PricingPlan } from "./types.js";

/** A plan's price for an interval: in `currency` when it has one, else its first for the interval. */
export function priceFor(
  plan: Pick<PricingPlan, "prices">,
  interval: Interval,
  currency: string | null = null,
): PlanPrice | null {
  return (
    plan.prices.find(
      (entry) => entry.interval === interval && (!currency || entry.currency === currency),
    ) ??
    plan.prices.find((entry) => entry.interval === interval) ??
    null
  );
}

export interface PlanCardsProps<Plan extends PricingPlan> {
  plans: Plan[];
  features: FeatureInfo[];
  interval: Interval;
  currency?: string | null;
  currentPlanId?: string | null;
  recommendedPlanId?: string | null;
  recommendationReason?: string | null;
  /** Trials start new subscriptions only: hide them from a customer who changes plan (default shown). */
  showTrial?: boolean;
  /** The call to action of a plan's card (null: none). */
  action(plan: Plan, price: PlanPrice | null): ReactNode;
}

/**
 * The building block of `<PricingTable>`: the plans side by side, each with its price for the interval, its
 * features (the same lines in the same order on every card, amounts first), badges and a call to action.
 */
export function PlanCards<Plan extends PricingPlan>({
  plans,
  features,
  interval,
  currency = null,
  currentPlanId = null,
  recommendedPlanId = null,
  recommendationReason = null,
  showTrial = true,
  action,
}: PlanCardsProps<Plan>) {
  const { t, plural, money, number } = useAbono();
  const featureName = (key: string) => features.find((feature) => feature.key === key)?.name ?? key;
  const featureKeys = [...new Set(plans.flatMap((plan) => Object.keys(plan.features)))].sort(
    (a, b) => {
      const flag = (key: string) =>
        features.find((feature) => feature.key === key)?.kind === "boolean" ? 1 : 0;
      return flag(a) - flag(b) || featureName(a).localeCompare(featureName(b));
    },
  );
  return (
    <ul className="abono-plan-grid" aria-label={t("plans.label")}>
      {plans.map((plan) => {
        const price = priceFor(plan, interval, currency);
        const current = plan.id === currentPlanId;
        const recommended = plan.id === recommendedPlanId && !current;
        const headingId = `abono-plan-${plan.id}`;
        const classes = ["abono-plan-card"];
        if (current) classes.push("abono-current");
        if (recommended) classes.push("abono-recommended");
        return (
          <li
            key={plan.id}
            className={classes.join(" ")}
            aria-labelledby={headingId}
            aria-current={current ? "true" : undefined}
            data-testid={`plan-${plan.id}`}
          >
            {current || recommended ? (
              <div className="abono-plan-badges">
                {current ? (
                  <span className="abono-badge abono-badge-success">{t("plan.current")}</span>
                ) : null}
                {recommended ? (
                  <span className="abono-badge abono-badge-accent">{t("plan.recommended")}</span>
                ) : null}
              </div>
            ) : null}
            <h3 id={headingId}>{plan.name}</h3>
            {plan.description ? <p className="abono-muted">{plan.description}</p> : null}
            {recommended && recommendationReason ? (
              <p className="abono-recommendation">{recommendationReason}</p>
            ) : null}
            <p className="abono-price">
              {price ? (
                <>
                  <span className="abono-amount">{money(price.unitAmount, price.currency)}</span>{" "}
                  <span className="abono-per">
                    {t(interval === "month" ? "price.perMonth" : "price.perYear")}
                  </span>
                </>
              ) : (
                <span className="abono-muted">
                  {t("price.none", { period: t(`period.${interval}`) })}
                </span>
              )}
            </p>
            {showTrial && (plan.trialDays ?? 0) > 0 ? (
              <p className="abono-trial">
                {plural("plan.trial", plan.trialDays ?? 0, { days: plan.trialDays ?? 0 })}
              </p>
            ) : null}
            <ul className="abono-plan-features">
              {featureKeys.map((key) => {
                const value = plan.features[key];
                const included = value !== undefined && value !== false && value !== 0;
                return (
                  <li key={key} className={included ? undefined : "abono-excluded"}>
                    <span aria-hidden="true">{included ? "✓" : "✗"}</span>{" "}
                    {value === true || !included
                      ? featureName(key)
                      : t("plan.featureValue", {
                          name: featureName(key),
                          value: value === null ? t("plan.unlimited") : number(Number(value)),
                        })}
                    {included ? null : (
                      <span className="abono-visually-hidden">: {t("plan.notIncluded")}</span>
                    )}
                  </li>
                );
              })}
            </ul>
            <div className="abono-plan-action">{action(plan, price)}</div>
          </li>
        );
      })}
    </ul>
  );
}
