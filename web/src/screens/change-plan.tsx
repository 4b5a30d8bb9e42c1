import { type Interval, IntervalToggle, PlanCards } from "@abono/react";
import { useState } from "react";
import { useFeatures, usePlans, useRecommendation, useSubscription } from "../api/queries.ts";
import { ButtonLink } from "../components/button.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";
import { Link } from "../router.tsx";

/**
 * The offered plans side by side (`@abono/react`'s `<PlanCards>`, the building block of its pricing table),
 * the current one marked, the recommendation from usage highlighted.
 */
export function ChangePlan() {
  const { t } = useI18n();
  const portal = usePortal();
  const subscription = useSubscription();
  const plans = usePlans();
  const features = useFeatures();
  const recommendation = useRecommendation();
  const [chosenInterval, setInterval] = useState<Interval | null>(null);
  if (subscription.error || plans.error) {
    return <LoadError error={subscription.error ?? plans.error} />;
  }
  if (subscription.isPending || plans.isPending) return <Loading />;
  const live = subscription.data;
  const interval = chosenInterval ?? live?.interval ?? "month";
  const currentPlanId = live?.planId ?? recommendation.data?.currentPlanId ?? null;
  const planList = plans.data.data;
  const tierOf = (planId: string | null | undefined) =>
    planList.find((plan) => plan.id === planId)?.tier ?? 0;
  const priceOf = (planId: string | null) =>
    planList.find((plan) => plan.id === planId)?.prices.find((price) => price.interval === interval)
      ?.unitAmount ?? 0;
  // A free plan is reached by cancelling, not by a plan change: recommended only to those without a subscription.
  const suggested = recommendation.data?.recommendedPlanId ?? null;
  const recommended = live === null || priceOf(suggested) > 0 ? suggested : null;
  const reason =
    recommended && recommended !== currentPlanId
      ? tierOf(recommended) > tierOf(currentPlanId)
        ? t("plans.reason.over_limit")
        : t("plans.reason.underused")
      : null;
  // A plan change needs a running subscription; otherwise choosing a plan is a purchase (checkout).
  const changes = live !== null && live.status !== "past_due" && live.status !== "canceled";
  return (
    <>
      <h1>{t("plans.heading")}</h1>
      <div className="toolbar">
        <p className="muted">
          {t("plans.intro", {
            period: t(`plans.period.${interval}`),
          })}
        </p>
        <IntervalToggle value={interval} onChange={setInterval} />
      </div>
      {planList.length === 0 ? <p>{t("plans.empty")}</p> : null}
      <PlanCards
        plans={planList}
        features={features.data?.data ?? []}
        interval={interval}
        currency={live?.currency ?? portal.currency}
        currentPlanId={currentPlanId}
        recommendedPlanId={recommended}
        recommendationReason={reason}
        showTrial={!changes}
        action={(plan, price) => {
          // Moving to a free plan is cancelling (Overview → Cancel subscription), not a plan change.
          if (portal.canPay && changes && price?.unitAmount === 0) {
            return (
              <p className="muted small" data-testid={`free-by-cancel-${plan.id}`}>
                <Link to="/portal/cancel">{t("plans.freeByCancel", { plan: plan.name })}</Link>
              </p>
            );
          }
          if (!portal.canPay || !price) return null;
          if (plan.id === live?.planId && interval === live.interval) return null;
          const query = `plan=${encodeURIComponent(plan.id)}&interval=${interval}`;
          return (
            <ButtonLink
              to={changes ? `/portal/plans/review?${query}` : `/portal/checkout?${query}`}
              variant={plan.id === recommended ? "primary" : "secondary"}
            >
              {t("plans.choose", { plan: plan.name })}
            </ButtonLink>
          );
        }}
      />
    </>
  );
}
