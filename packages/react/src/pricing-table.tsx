import { type ReactNode, useCallback, useEffect, useState } from "react";
import { IntervalToggle } from "./interval-toggle.js";
import { PlanCards } from "./plan-cards.js";
import { useAbono } from "./provider.js";
import type { Interval, PlanPrice, PublicCatalog } from "./types.js";
import { useEntitlements } from "./use-entitlement.js";

export type CatalogPlan = PublicCatalog["data"][number];

/** What a call to action is given: the plan, the interval shown and its price there. */
export interface PlanChoice {
  interval: Interval;
  price: PlanPrice;
}

export interface PricingTableProps {
  /** A catalog already loaded (`GET /v1/public/plans`); without it the table fetches it. */
  catalog?: PublicCatalog;
  /** The plan to mark as current; by default the provider's organization's plan, if any. */
  currentPlanId?: string | null;
  /** Show prices in this currency when a plan has several. */
  currency?: string | null;
  defaultInterval?: Interval;
  /** The checkout or change-plan link of a plan (null: no call to action on that card). */
  checkoutHref?(plan: CatalogPlan, choice: PlanChoice): string | null;
  /** Called when a plan's call to action is pressed (a button, when there is no `checkoutHref`). */
  onSelect?(plan: CatalogPlan, choice: PlanChoice): void;
  /** Anything above the plans, beside the interval toggle (a lead sentence). */
  intro?: ReactNode;
}

type Load = { catalog: PublicCatalog | null; error: unknown; loading: boolean };

/**
 * The public plan catalog as a pricing table: monthly / yearly when the catalog prices both, the current
 * plan marked, and a call to action per plan (`checkoutHref` or `onSelect`).
 */
export function PricingTable({
  catalog: given,
  currentPlanId,
  currency = null,
  defaultInterval = "month",
  checkoutHref,
  onSelect,
  intro,
}: PricingTableProps) {
  const { client, t } = useAbono();
  const entitlement = useEntitlements();
  const [interval, setInterval] = useState<Interval>(defaultInterval);
  const [load, setLoad] = useState<Load>({
    catalog: given ?? null,
    error: null,
    loading: !given,
  });
  const fetchCatalog = useCallback(() => {
    let live = true;
    setLoad((previous) => ({ ...previous, error: null, loading: true }));
    client.plans.listPublic({ limit: 100 }).then(
      (catalog) => live && setLoad({ catalog, error: null, loading: false }),
      (error: unknown) => live && setLoad({ catalog: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [client]);
  useEffect(() => {
    if (given) {
      setLoad({ catalog: given, error: null, loading: false });
      return;
    }
    return fetchCatalog();
  }, [given, fetchCatalog]);

  if (load.error) {
    return (
      <div className="abono-error" role="alert">
        <p>{t("error")}</p>
        <button type="button" className="abono-button abono-secondary" onClick={fetchCatalog}>
          {t("retry")}
        </button>
      </div>
    );
  }
  if (!load.catalog) {
    return (
      <p className="abono-loading" role="status">
        {t("loading")}
      </p>
    );
  }
  const plans = load.catalog.data;
  if (plans.length === 0) return <p className="abono-muted">{t("plans.empty")}</p>;
  const intervals = (["month", "year"] as const).filter((candidate) =>
    plans.some((plan) => plan.prices.some((price) => price.interval === candidate)),
  );
  const shown = intervals.includes(interval) ? interval : (intervals[0] ?? interval);
  const current = currentPlanId === undefined ? (entitlement.data?.planId ?? null) : currentPlanId;
  return (
    <div className="abono-pricing">
      {intro || intervals.length > 1 ? (
        <div className="abono-pricing-toolbar">
          {intro}
          {intervals.length > 1 ? (
            <IntervalToggle value={shown} onChange={setInterval} intervals={intervals} />
          ) : null}
        </div>
      ) : null}
      <PlanCards
        plans={plans}
        features={load.catalog.features}
        interval={shown}
        currency={currency}
        currentPlanId={current}
        action={(plan, price) => {
          if (!price || plan.id === current) return null;
          const choice = { interval: shown, price };
          const label = t("plan.choose", { plan: plan.name });
          if (checkoutHref) {
            const href = checkoutHref(plan, choice);
            if (href === null) return null;
            return (
              <a
                className="abono-button abono-secondary"
                href={href}
                onClick={onSelect ? () => onSelect(plan, choice) : undefined}
              >
                {label}
              </a>
            );
          }
          if (!onSelect) return null;
          return (
            <button
              type="button"
              className="abono-button abono-secondary"
              onClick={() => onSelect(plan, choice)}
            >
              {label}
            </button>
          );
        }}
      />
    </div>
  );
}
