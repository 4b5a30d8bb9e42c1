import { AbonoError } from "@abono/client";
import type { Interval } from "@abono/react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import { usePlans, useSubscription } from "../api/queries.ts";
import { Alert } from "../components/alert.tsx";
import { AmountTable } from "../components/amount-table.tsx";
import { Button, ButtonLink } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { flash } from "../flash.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";
import { Link, navigate, useLocation } from "../router.tsx";

/**
 * Plan Review: the exact preview of the change (the API runs the change itself and stops before writing):
 * what is owed to date first, then the proration, discount, balance, credit and the amount due now.
 * Confirming sends the same request; a decline changes nothing and says so.
 */
export function PlanReview() {
  const i18n = useI18n();
  const { t, money, date } = i18n;
  const { organizationId } = usePortal();
  const { query } = useLocation();
  const planId = query.get("plan") ?? "";
  const interval: Interval = query.get("interval") === "year" ? "year" : "month";
  const [timing, setTiming] = useState<"now" | "period_end">("now");
  const subscription = useSubscription();
  const plans = usePlans();
  const queryClient = useQueryClient();
  const body = { planId, interval, timing };
  const preview = useQuery({
    queryKey: [organizationId, "preview-change", planId, interval, timing],
    staleTime: 0,
    retry: false,
    queryFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/subscription/preview-change", {
          params: { path: { orgId: organizationId } },
          body,
        }),
      ),
  });
  const confirm = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/subscription/change", {
          params: { path: { orgId: organizationId } },
          body,
        }),
      ),
    onSuccess: async (result) => {
      const credited = result.invoices.reduce((sum, invoice) => sum + invoice.creditedToBalance, 0);
      const name = planName(planId);
      flash(
        ({ t, date, money }) =>
          timing === "period_end"
            ? t("review.scheduled", {
                plan: name,
                date: date(
                  result.subscription.scheduledChange?.effectiveAt ??
                    result.subscription.currentPeriodEnd,
                ),
              })
            : credited > 0
              ? t("review.doneCredit", {
                  plan: name,
                  amount: money(credited, result.subscription.currency),
                })
              : t("review.done", { plan: name }),
        "/portal",
      );
      await queryClient.invalidateQueries({ queryKey: [organizationId] });
      navigate("/portal/");
    },
  });

  const planName = (id: string) => plans.data?.data.find((plan) => plan.id === id)?.name ?? id;
  const live = subscription.data;
  if (subscription.isPending) return <Loading />;

  const data = preview.data;
  const currency = data?.currency ?? live?.currency ?? "USD";
  return (
    <>
      <h1>{t("review.heading")}</h1>
      <p className="lead" data-testid="review-from-to">
        {t("review.fromTo", {
          from: live
            ? `${planName(live.planId)} (${t(`overview.interval.${live.interval}`)})`
            : "—",
          to: `${planName(planId)} (${t(`overview.interval.${interval}`)})`,
        })}
      </p>
      {live ? (
        <Card title={t("review.when")} titleId="when-title">
          <fieldset className="choices">
            <legend className="visually-hidden">{t("review.when")}</legend>
            <label>
              <input
                type="radio"
                name="timing"
                checked={timing === "now"}
                onChange={() => setTiming("now")}
              />
              {t("review.now")}
            </label>
            <label>
              <input
                type="radio"
                name="timing"
                checked={timing === "period_end"}
                onChange={() => setTiming("period_end")}
              />
              {t("review.periodEnd", { date: date(live.currentPeriodEnd) })}
            </label>
          </fieldset>
        </Card>
      ) : null}
      {preview.isPending ? <Loading /> : null}
      {preview.error ? <LoadError error={preview.error} retry={() => preview.refetch()} /> : null}
      {data ? (
        <Card>
          {data.settlement && data.settlement.lines.length > 0 ? (
            <>
              <AmountTable
                testId="settlement-lines"
                caption={t("review.settlement")}
                currency={currency}
                lines={data.settlement.lines}
                totals={[{ label: t("invoices.total"), amount: data.settlement.amountDue }]}
              />
              <p className="note">{t("review.settlementNote")}</p>
            </>
          ) : null}
          <AmountTable
            testId="change-lines"
            caption={t("review.lines")}
            currency={currency}
            lines={data.lines}
            totals={[
              { label: t("review.subtotal"), amount: data.subtotal },
              ...(data.discount !== 0
                ? [{ label: t("review.discount"), amount: -data.discount, testId: "discount" }]
                : []),
              ...(data.balanceApplied !== 0
                ? [
                    {
                      label: t("review.balanceApplied"),
                      amount: -data.balanceApplied,
                      testId: "balance-applied",
                    },
                  ]
                : []),
              ...(data.creditedToBalance !== 0
                ? [
                    {
                      label: t("review.creditedToBalance"),
                      amount: data.creditedToBalance,
                      testId: "credited",
                    },
                  ]
                : []),
              {
                label: t("review.amountDue"),
                amount: data.amountDue + (data.settlement?.amountDue ?? 0),
                strong: true,
                testId: "amount-due",
              },
            ]}
          />
          {data.creditedToBalance > 0 ? (
            <p className="note">
              {t("review.creditExplain", { amount: money(data.creditedToBalance, currency) })}
            </p>
          ) : null}
          <p className="muted">
            {t("review.balanceAfter")}:{" "}
            <strong data-testid="balance-after">{money(data.balanceAfter, currency)}</strong>
          </p>
          {confirm.error ? (
            <Alert tone="error" testId="change-error">
              <p>{errorText(confirm.error, i18n)}</p>
              {confirm.error instanceof AbonoError && confirm.error.code === "payment_failed" ? (
                <Link to="/portal/payment-methods">{t("nav.paymentMethods")}</Link>
              ) : null}
            </Alert>
          ) : null}
          <div className="actions">
            <Button
              busy={confirm.isPending}
              onClick={() => confirm.mutate()}
              data-testid="confirm-change"
            >
              {data.amountDue + (data.settlement?.amountDue ?? 0) > 0
                ? t("review.confirmPay", {
                    amount: money(data.amountDue + (data.settlement?.amountDue ?? 0), currency),
                  })
                : t("review.confirm")}
            </Button>
            <ButtonLink to="/portal/plans" variant="ghost">
              {t("review.back")}
            </ButtonLink>
          </div>
        </Card>
      ) : null}
    </>
  );
}
