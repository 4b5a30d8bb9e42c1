import type { ReactNode } from "react";
import type { Plan } from "../api/types.ts";
import { Badge } from "../components/badge.tsx";
import { useI18n } from "../i18n/i18n.tsx";

export type Interval = "month" | "year";

/** A feature as the catalog describes it, for naming a plan's values. */
export interface FeatureInfo {
  key: string;
  name: string;
  kind: "boolean" | "limit" | "metered";
}

type PricedPlan = Pick<Plan, "id" | "name" | "description" | "prices" | "trialDays" | "features">;

/** The interval toggle above the plans. */
export function IntervalToggle({
  value,
  onChange,
}: {
  value: Interval;
  onChange(value: Interval): void;
}) {
  const { t } = useI18n();
  return (
    <fieldset className="segmented">
      <legend className="visually-hidden">{t("checkout.interval")}</legend>
      {(["month", "year"] as const).map((interval) => (
        <label key={interval} className={value === interval ? "selected" : undefined}>
          <input
            type="radio"
            name="interval"
            value={interval}
            checked={value === interval}
            onChange={() => onChange(interval)}
          />
          {t(interval === "month" ? "plans.month" : "plans.year")}
        </label>
      ))}
    </fieldset>
  );
}

/** The catalog's plans side by side: price for the interval, features, and a call to action. */
export function PlanCards({
  plans,
  features,
  interval,
  currency,
  currentPlanId,
  recommendedPlanId,
  recommendationReason,
  showTrial = true,
  action,
}: {
  plans: PricedPlan[];
  features: FeatureInfo[];
  interval: Interval;
  currency: string | null;
  currentPlanId?: string | null;
  recommendedPlanId?: string | null;
  recommendationReason?: string | null;
  /** Trials start new subscriptions only: not shown to a customer who changes plan. */
  showTrial?: boolean;
  action(plan: PricedPlan, price: { unitAmount: number; currency: string } | null): ReactNode;
}) {
  const { t, money, number } = useI18n();
  const featureName = (key: string) => features.find((feature) => feature.key === key)?.name ?? key;
  // The same features in the same order on every card, so plans compare line by line: amounts first.
  const featureKeys = [...new Set(plans.flatMap((plan) => Object.keys(plan.features)))].sort(
    (a, b) => {
      const flag = (key: string) =>
        features.find((feature) => feature.key === key)?.kind === "boolean" ? 1 : 0;
      return flag(a) - flag(b) || featureName(a).localeCompare(featureName(b));
    },
  );
  return (
    <ul className="plan-grid">
      {plans.map((plan) => {
        const price =
          plan.prices.find(
            (entry) => entry.interval === interval && (!currency || entry.currency === currency),
          ) ??
          plan.prices.find((entry) => entry.interval === interval) ??
          null;
        const current = plan.id === currentPlanId;
        const recommended = plan.id === recommendedPlanId && !current;
        const headingId = `plan-${plan.id}`;
        return (
          <li
            key={plan.id}
            className={`plan-card${current ? " current" : ""}${recommended ? " recommended" : ""}`}
            aria-labelledby={headingId}
            data-testid={`plan-${plan.id}`}
          >
            {current || recommended ? (
              <div className="plan-card-badges">
                {current ? <Badge tone="success">{t("plans.current")}</Badge> : null}
                {recommended ? <Badge tone="accent">{t("plans.recommended")}</Badge> : null}
              </div>
            ) : null}
            <h3 id={headingId}>{plan.name}</h3>
            {plan.description ? <p className="muted">{plan.description}</p> : null}
            {recommended && recommendationReason ? (
              <p className="recommendation">{recommendationReason}</p>
            ) : null}
            <p className="price">
              {price ? (
                <>
                  <span className="amount">{money(price.unitAmount, price.currency)}</span>{" "}
                  <span className="per">
                    {t(interval === "month" ? "plans.perMonth" : "plans.perYear")}
                  </span>
                </>
              ) : (
                <span className="muted">
                  {t("plans.noPrice", {
                    period: t(`plans.period.${interval}`),
                  })}
                </span>
              )}
            </p>
            {showTrial && plan.trialDays > 0 ? (
              <p className="trial">{t("plans.trial", { days: plan.trialDays })}</p>
            ) : null}
            <ul className="plan-features">
              {featureKeys.map((key) => {
                const value = plan.features[key];
                const included = value !== undefined && value !== false && value !== 0;
                return (
                  <li key={key} className={included ? undefined : "excluded"}>
                    <span aria-hidden="true">{included ? "✓" : "✗"}</span>{" "}
                    {value === true || !included
                      ? featureName(key)
                      : t("plans.featureValue", {
                          name: featureName(key),
                          value: value === null ? t("plans.unlimited") : number(Number(value)),
                        })}
                    {included ? null : (
                      <span className="visually-hidden">: {t("overview.notIncluded")}</span>
                    )}
                  </li>
                );
              })}
            </ul>
            <div className="plan-card-action">{action(plan, price)}</div>
          </li>
        );
      })}
    </ul>
  );
}
