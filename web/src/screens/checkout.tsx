import type { Interval } from "@abono/react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import { usePlans, useSubscription } from "../api/queries.ts";
import { Alert } from "../components/alert.tsx";
import { AmountTable } from "../components/amount-table.tsx";
import { Button } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { usePortal } from "../portal-context.tsx";
import { navigate, useLocation } from "../router.tsx";

/**
 * Checkout: plan, interval, coupon (validated live by the API's quote, the checkout's own computation),
 * provider among those configured; then the provider's page, or at once for the sandbox and for nothing
 * to pay (a 100% coupon, a trial).
 */
export function Checkout() {
  const i18n = useI18n();
  const { t, money } = i18n;
  const { organizationId, currency } = usePortal();
  const { query } = useLocation();
  const plans = usePlans();
  const subscription = useSubscription();
  const queryClient = useQueryClient();
  const couponId = useId();
  const planFieldId = useId();
  const [planId, setPlanId] = useState(query.get("plan") ?? "");
  const [interval, setInterval] = useState<Interval>(
    query.get("interval") === "year" ? "year" : "month",
  );
  const [couponInput, setCouponInput] = useState("");
  const [couponCode, setCouponCode] = useState<string | null>(null);
  const [provider, setProvider] = useState<string | null>(null);

  const offered = (plans.data?.data ?? []).filter((plan) =>
    plan.prices.some((price) => price.unitAmount > 0),
  );
  const plan = offered.find((entry) => entry.id === planId) ?? offered[0];
  const intervals = plan
    ? (["month", "year"] as const).filter((entry) =>
        plan.prices.some((price) => price.interval === entry),
      )
    : [];
  const chosenInterval = intervals.includes(interval) ? interval : (intervals[0] ?? "month");
  // A coupon applies to a new subscription; a running one changes plan (Plan Review) instead.
  const upgrade =
    subscription.data !== null &&
    subscription.data !== undefined &&
    subscription.data.status !== "past_due";
  const quoteBody = plan
    ? {
        planId: plan.id,
        interval: chosenInterval,
        ...(couponCode && !upgrade ? { couponCode } : {}),
        ...(currency ? { currency } : {}),
      }
    : null;
  const quote = useQuery({
    queryKey: [organizationId, "checkout-quote", quoteBody],
    enabled: quoteBody !== null && !subscription.isPending,
    retry: false,
    staleTime: 0,
    queryFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/checkouts/quote", {
          params: { path: { orgId: organizationId } },
          body: quoteBody ?? { planId: "", interval: "month" },
        }),
      ),
  });
  const providers = (quote.data?.providers ?? []).filter(Boolean);
  const chosenProvider =
    provider && providers.includes(provider) ? provider : (providers[0] ?? null);
  const pay = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/checkouts", {
          params: { path: { orgId: organizationId } },
          body: {
            ...(quoteBody ?? { planId: "", interval: "month" }),
            ...(quote.data && quote.data.amount > 0 && chosenProvider
              ? { provider: chosenProvider as "stripe" | "mercadopago" | "paypal" | "sandbox" }
              : {}),
            successUrl: `${window.location.origin}/portal/checkout/success`,
            cancelUrl: `${window.location.origin}/portal/checkout/cancel`,
          },
        }),
      ),
    onSuccess: async (result) => {
      await queryClient.invalidateQueries({ queryKey: [organizationId] });
      if (result.checkout.status === "completed" || !result.checkout.redirectUrl) {
        navigate(`/portal/checkout/success?checkout=${encodeURIComponent(result.checkout.id)}`);
      } else {
        window.location.assign(result.checkout.redirectUrl);
      }
    },
  });

  if (plans.error) return <LoadError error={plans.error} />;
  if (plans.isPending || subscription.isPending) return <Loading />;
  if (upgrade) return <ChangeInstead planId={query.get("plan")} interval={query.get("interval")} />;
  const couponRejected = couponCode !== null && quote.error !== null;
  const amount = quote.data?.amount ?? null;
  const quoteCurrency = quote.data?.currency ?? currency ?? "USD";
  return (
    <>
      <h1>{t("checkout.heading")}</h1>
      <div className="grid-two checkout">
        <Card>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (quote.data && (amount === 0 || chosenProvider)) pay.mutate();
            }}
          >
            <div className="field">
              <label htmlFor={planFieldId}>{t("checkout.plan")}</label>
              <select
                id={planFieldId}
                value={plan?.id ?? ""}
                onChange={(event) => setPlanId(event.target.value)}
                data-testid="checkout-plan"
              >
                {offered.map((entry) => (
                  <option key={entry.id} value={entry.id}>
                    {entry.name}
                  </option>
                ))}
              </select>
            </div>
            <fieldset className="choices">
              <legend>{t("checkout.interval")}</legend>
              {intervals.map((entry) => {
                const price = plan?.prices.find((candidate) => candidate.interval === entry);
                return (
                  <label key={entry}>
                    <input
                      type="radio"
                      name="checkout-interval"
                      checked={chosenInterval === entry}
                      onChange={() => setInterval(entry)}
                    />
                    {t(entry === "month" ? "plans.month" : "plans.year")}
                    {price ? (
                      <span className="muted"> · {money(price.unitAmount, price.currency)}</span>
                    ) : null}
                  </label>
                );
              })}
            </fieldset>
            {!upgrade ? (
              <div className="field">
                <label htmlFor={couponId}>{t("checkout.coupon")}</label>
                <div className="inline">
                  <input
                    id={couponId}
                    value={couponInput}
                    autoComplete="off"
                    onChange={(event) => setCouponInput(event.target.value.toUpperCase())}
                    onBlur={() => setCouponCode(couponInput.trim() || null)}
                    onKeyDown={(event) => {
                      if (event.key === "Enter") {
                        event.preventDefault();
                        setCouponCode(couponInput.trim() || null);
                      }
                    }}
                    aria-invalid={couponRejected || undefined}
                    aria-describedby={`${couponId}-status`}
                    data-testid="coupon"
                  />
                  <Button
                    variant="secondary"
                    onClick={() => setCouponCode(couponInput.trim() || null)}
                  >
                    {t("checkout.couponApply")}
                  </Button>
                </div>
                <p id={`${couponId}-status`} className="field-status" aria-live="polite">
                  {couponRejected
                    ? t("checkout.couponInvalid", { reason: errorText(quote.error, i18n) })
                    : couponCode && quote.data && quote.data.discount > 0
                      ? t("checkout.couponValid", {
                          amount: money(quote.data.discount, quote.data.currency),
                        })
                      : ""}
                </p>
              </div>
            ) : null}
            {amount !== null && amount > 0 ? (
              <fieldset className="choices">
                <legend>{t("checkout.provider")}</legend>
                {providers.length === 0 ? (
                  <p className="muted">{t("methods.noProviders")}</p>
                ) : null}
                {providers.map((name) => (
                  <label key={name}>
                    <input
                      type="radio"
                      name="provider"
                      checked={chosenProvider === name}
                      onChange={() => setProvider(name)}
                    />
                    {t(`checkout.provider.${name}` as MessageKey)}
                  </label>
                ))}
              </fieldset>
            ) : null}
            {pay.error ? (
              <Alert tone="error" testId="checkout-error">
                {errorText(pay.error, i18n)}
              </Alert>
            ) : null}
            {pay.isPending && chosenProvider && chosenProvider !== "sandbox" ? (
              <p role="status">
                {t("checkout.redirecting", {
                  provider: t(`checkout.provider.${chosenProvider}` as MessageKey),
                })}
              </p>
            ) : null}
            <div className="actions">
              <Button
                type="submit"
                busy={pay.isPending}
                disabled={!quote.data || (amount !== null && amount > 0 && !chosenProvider)}
                data-testid="checkout-pay"
              >
                {amount === null || amount === 0
                  ? t("checkout.activate", { plan: plan?.name ?? "" })
                  : t("checkout.pay", { amount: money(amount, quoteCurrency) })}
              </Button>
            </div>
          </form>
        </Card>
        <Card title={t("checkout.summary")} titleId="checkout-summary">
          {quote.isPending && quoteBody ? <Loading /> : null}
          {quote.error && !couponRejected ? <LoadError error={quote.error} /> : null}
          {quote.data ? (
            <>
              <AmountTable
                testId="checkout-lines"
                caption={plan?.name ?? ""}
                currency={quote.data.currency}
                lines={quote.data.lines}
                totals={[
                  ...(quote.data.discount !== 0
                    ? [{ label: t("review.discount"), amount: -quote.data.discount }]
                    : []),
                  ...(quote.data.balanceApplied !== 0
                    ? [{ label: t("review.balanceApplied"), amount: -quote.data.balanceApplied }]
                    : []),
                  {
                    label: t("checkout.dueToday"),
                    amount: quote.data.amount,
                    strong: true,
                    testId: "checkout-amount",
                  },
                ]}
              />
              {quote.data.amount === 0 ? (
                <p className="note">
                  {plan && plan.trialDays > 0 && !upgrade
                    ? t("checkout.trial")
                    : t("checkout.free")}
                </p>
              ) : null}
            </>
          ) : null}
        </Card>
      </div>
    </>
  );
}

/**
 * A customer with a running subscription changes plan through Plan Review (the exact proration and
 * confirmation) rather than buying a second subscription: the checkout sends them there.
 */
function ChangeInstead({ planId, interval }: { planId: string | null; interval: string | null }) {
  useEffect(() => {
    navigate(
      planId
        ? `/portal/plans/review?plan=${encodeURIComponent(planId)}&interval=${interval === "year" ? "year" : "month"}`
        : "/portal/plans",
      { replace: true },
    );
  }, [planId, interval]);
  return <Loading />;
}
