import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.ts";
import { Card } from "../../components/card.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { MrrMovements } from "../components/mrr-movements.tsx";

/**
 * The dashboard: MRR, trials ending, past due with the amount at risk, failed payments, and live
 * subscriptions by plan as a bar chart (plain HTML bars: no chart library needed for one chart), then the
 * MRR movements and revenue by provider (`MrrMovements`).
 */
export function Dashboard() {
  const { t, money, number } = useAdminText();
  const dashboard = useQuery({
    queryKey: ["admin", "dashboard"],
    queryFn: () => unwrap(api.GET("/v1/admin/dashboard")),
  });
  if (dashboard.isPending) return <Loading />;
  if (dashboard.error) {
    return <LoadError error={dashboard.error} retry={() => dashboard.refetch()} />;
  }
  const data = dashboard.data;
  const amounts = (list: { currency: string; amount: number }[]) =>
    list.length === 0
      ? money(0, "USD")
      : list.map((item) => money(item.amount, item.currency)).join(" · ");
  const widest = Math.max(
    1,
    ...data.subscriptionsByPlan.map((plan) => plan.active + plan.trialing + plan.pastDue),
  );
  return (
    <>
      <h1>{t("dashboard.title")}</h1>
      <div className="admin-figures" data-testid="dashboard">
        <Card title={t("dashboard.mrr")}>
          <p className="figure" data-testid="mrr">
            {amounts(data.monthlyRecurringRevenue)}
          </p>
          <p className="small muted">{t("dashboard.mrrHelp")}</p>
        </Card>
        <Card title={t("dashboard.trials")}>
          <p className="figure">{number(data.trialsEndingThisWeek)}</p>
        </Card>
        <Card title={t("dashboard.pastDue")}>
          <p className="figure" data-testid="past-due">
            {number(data.pastDueSubscriptions)}
          </p>
          <p className="small muted">
            {t("dashboard.atRisk", { amount: amounts(data.amountAtRisk) })}
          </p>
        </Card>
        <Card title={t("dashboard.failed")}>
          <p className="figure">{number(data.failedPayments.count)}</p>
          <p className="small muted">{amounts(data.failedPayments.amounts)}</p>
        </Card>
      </div>
      <Card title={t("dashboard.byPlan")}>
        {data.subscriptionsByPlan.length === 0 ? (
          <p className="muted">{t("admin.none")}</p>
        ) : (
          <>
            <ul className="bar-chart" data-testid="by-plan">
              {data.subscriptionsByPlan.map((plan) => {
                const total = plan.active + plan.trialing + plan.pastDue;
                const share = (count: number) => `${(count / widest) * 100}%`;
                return (
                  <li key={plan.planId}>
                    <span className="bar-label">{plan.planId}</span>
                    <span className="bar-track" aria-hidden="true">
                      <span className="bar bar-active" style={{ width: share(plan.active) }} />
                      <span className="bar bar-trialing" style={{ width: share(plan.trialing) }} />
                      <span className="bar bar-past-due" style={{ width: share(plan.pastDue) }} />
                    </span>
                    <span className="bar-value">
                      {t("dashboard.planCounts", {
                        total,
                        active: plan.active,
                        trialing: plan.trialing,
                        pastDue: plan.pastDue,
                      })}
                    </span>
                  </li>
                );
              })}
            </ul>
            <p className="small muted legend">
              <span className="swatch bar-active" aria-hidden="true" /> {t("dashboard.active")}{" "}
              <span className="swatch bar-trialing" aria-hidden="true" /> {t("dashboard.trialing")}{" "}
              <span className="swatch bar-past-due" aria-hidden="true" />{" "}
              {t("dashboard.pastDueShort")}
            </p>
          </>
        )}
      </Card>
      <MrrMovements />
    </>
  );
}
