import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { ButtonLink } from "../components/button.tsx";
import { LanguageSwitch } from "../components/language-switch.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { type Interval, IntervalToggle, PlanCards } from "./plan-cards.tsx";

/**
 * The public pricing page (/plans): the plans on offer, no sign-in, embeddable in an iframe. Choosing a
 * plan goes to the portal's checkout, which a signed-in customer (portal session) completes.
 */
export function Pricing() {
  const { t } = useI18n();
  const [interval, setInterval] = useState<Interval>("month");
  const plans = useQuery({
    queryKey: ["public-plans"],
    queryFn: () => unwrap(api.GET("/v1/public/plans", { params: { query: { limit: 100 } } })),
  });
  return (
    <div className="public-page">
      <header className="public-header">
        <LanguageSwitch />
      </header>
      <main id="main">
        <h1>{t("pricing.heading")}</h1>
        <div className="toolbar">
          <p className="lead">{t("pricing.intro")}</p>
          <IntervalToggle value={interval} onChange={setInterval} />
        </div>
        {plans.error ? <LoadError error={plans.error} retry={() => plans.refetch()} /> : null}
        {plans.isPending ? <Loading /> : null}
        {plans.data ? (
          <PlanCards
            plans={plans.data.data}
            features={plans.data.features}
            interval={interval}
            currency={null}
            action={(plan, price) =>
              price && price.unitAmount > 0 ? (
                <ButtonLink
                  to={`/portal/checkout?plan=${encodeURIComponent(plan.id)}&interval=${interval}`}
                  variant="secondary"
                >
                  {t("pricing.start", { plan: plan.name })}
                </ButtonLink>
              ) : null
            }
          />
        ) : null}
        <p className="muted center">{t("pricing.contact")}</p>
      </main>
    </div>
  );
}
