import { Paywall, UsageMeter, useEntitlements } from "@abono/react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import {
  useFeatures,
  usePacks,
  usePlans,
  useStoreSubscriptions,
  useSubscription,
  useUpcomingInvoice,
} from "../api/queries.ts";
import type { Entitlement, Feature, Subscription } from "../api/types.ts";
import { Alert } from "../components/alert.tsx";
import { AmountTable } from "../components/amount-table.tsx";
import { Badge } from "../components/badge.tsx";
import { Button, ButtonLink } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { flash } from "../flash.ts";
import { type I18n, useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";
import { Link } from "../router.tsx";
import { StatusBadge } from "./status-badge.tsx";
import { storeSubscriptionsUrl } from "./store-managed.tsx";

const dayMs = 86_400_000;

/**
 * The Billing Panel: plan, status, period, usage and the next invoice. The entitlement comes from
 * `@abono/react` (shared with its meters and paywalls, refetched on focus), not from a query of its own.
 */
export function Overview() {
  const { t } = useI18n();
  const subscription = useSubscription();
  const entitlement = useEntitlements();
  const plans = usePlans();
  const features = useFeatures();
  if (subscription.error || (entitlement.error && !entitlement.data)) {
    return <LoadError error={subscription.error ?? entitlement.error} />;
  }
  // The plan's and features' names too, so the cards never show a key while the catalog loads.
  if (subscription.isPending || !entitlement.data || plans.isPending || features.isPending) {
    return <Loading />;
  }
  const planName = (planId: string) =>
    plans.data?.data.find((plan) => plan.id === planId)?.name ?? planId;
  return (
    <>
      <h1>{t("overview.heading")}</h1>
      <div className="grid-two">
        <PlanCard
          subscription={subscription.data}
          entitlement={entitlement.data}
          planName={planName}
        />
        <UsageCard
          entitlement={entitlement.data}
          features={features.data?.data ?? []}
          resetsAt={subscription.data?.currentPeriodEnd ?? null}
        />
      </div>
      {subscription.data ? <NextInvoiceCard /> : null}
    </>
  );
}

function PlanCard({
  subscription,
  entitlement,
  planName,
}: {
  subscription: Subscription | null;
  entitlement: Entitlement;
  planName: (planId: string) => string;
}) {
  const i18n = useI18n();
  const { t, date } = i18n;
  const { organizationId, canPay } = usePortal();
  const queryClient = useQueryClient();
  const storeSubscriptions = useStoreSubscriptions();
  const resume = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/subscription/resume", {
          params: { path: { orgId: organizationId } },
        }),
      ),
    onSuccess: async () => {
      flash(({ t }) => t("overview.undone"), "/portal");
      await queryClient.invalidateQueries({ queryKey: [organizationId] });
    },
  });

  const keepPlan = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/v1/organizations/{orgId}/subscription/scheduled-change", {
          params: { path: { orgId: organizationId } },
        }),
      ),
    onSuccess: async (kept) => {
      flash(({ t }) => t("overview.changeUndone", { plan: planName(kept.planId) }), "/portal");
      await queryClient.invalidateQueries({ queryKey: [organizationId] });
    },
  });

  const store = storeSubscriptions.data?.data.find((row) =>
    ["trialing", "active", "past_due"].includes(row.status),
  );
  if (!subscription && store) {
    const storeName = store.store === "app_store" ? "App Store" : "Google Play";
    return (
      <Card title={t("overview.plan")} titleId="plan-title">
        <p className="plan-name" data-testid="plan-name">
          {planName(entitlement.planId)} <Badge tone="accent">{storeName}</Badge>
        </p>
        <p data-testid="store-managed">{t("overview.storeManaged", { store: storeName })}</p>
        <p>
          <a href={storeSubscriptionsUrl[store.store]} target="_blank" rel="noreferrer">
            {t("storeManaged.open", { store: storeName })}
          </a>
        </p>
      </Card>
    );
  }
  if (!subscription) {
    return (
      <Card title={t("overview.plan")} titleId="plan-title">
        <p className="plan-name" data-testid="plan-name">
          {planName(entitlement.planId)} <Badge>{t("status.free")}</Badge>
        </p>
        <p>{t("overview.noSubscription")}</p>
        {canPay ? <ButtonLink to="/portal/checkout">{t("overview.choosePlan")}</ButtonLink> : null}
      </Card>
    );
  }
  // An annual term that does not renew on its own ends at the period end, unless a change is scheduled.
  const termEnds =
    !subscription.cancelAtPeriodEnd &&
    subscription.endsAt !== null &&
    new Date(subscription.endsAt) <= new Date(subscription.currentPeriodEnd) &&
    subscription.scheduledChange === null;
  const ends = subscription.cancelAtPeriodEnd || termEnds;
  // Counted from the organization's time (`asOf`: its test clock's when it has one), not the browser's.
  const trialDaysLeft = subscription.trialEndsAt
    ? Math.max(
        0,
        Math.ceil(
          (new Date(subscription.trialEndsAt).getTime() - new Date(subscription.asOf).getTime()) /
            dayMs,
        ),
      )
    : null;
  return (
    <Card title={t("overview.plan")} titleId="plan-title">
      <p className="plan-name">
        <span data-testid="plan-name">{planName(subscription.planId)}</span>{" "}
        <StatusBadge subscription={subscription} />
      </p>
      <dl className="facts">
        <div>
          <dt>{t("checkout.interval")}</dt>
          <dd>{t(`overview.interval.${subscription.interval}`)}</dd>
        </div>
        <div>
          <dt>{t("overview.period")}</dt>
          <dd>
            {date(subscription.currentPeriodStart)} – {date(subscription.currentPeriodEnd)}
          </dd>
        </div>
        <div>
          <dt>{ends ? t("overview.ends") : t("overview.renews")}</dt>
          <dd data-testid="renews-on">{date(subscription.currentPeriodEnd)}</dd>
        </div>
      </dl>
      {subscription.status === "trialing" && subscription.trialEndsAt && trialDaysLeft !== null ? (
        <Alert tone="info" testId="trial-left">
          {trialDaysLeft === 1
            ? t("overview.trialLeftOne", { date: date(subscription.trialEndsAt) })
            : t("overview.trialLeft", {
                days: trialDaysLeft,
                date: date(subscription.trialEndsAt),
              })}
        </Alert>
      ) : null}
      {subscription.status === "past_due" ? (
        <Alert tone="warning">
          <p>{t("overview.pastDue")}</p>
          {canPay ? <Link to="/portal/payment-methods">{t("overview.pastDueAction")}</Link> : null}
        </Alert>
      ) : null}
      {termEnds ? (
        <Alert tone="info" testId="term-ends">
          {t("overview.termEnds", { date: date(subscription.currentPeriodEnd) })}
        </Alert>
      ) : null}
      {subscription.scheduledChange ? (
        <Alert tone="info" testId="change-scheduled">
          <p>
            {t("overview.scheduledChange", {
              plan: planName(subscription.scheduledChange.planId),
              interval: t(`overview.interval.${subscription.scheduledChange.interval}`),
              date: date(subscription.scheduledChange.effectiveAt),
            })}
          </p>
          {canPay ? (
            <Button variant="secondary" busy={keepPlan.isPending} onClick={() => keepPlan.mutate()}>
              {t("overview.undoChange", { plan: planName(subscription.planId) })}
            </Button>
          ) : null}
          {keepPlan.error ? <p className="error-text">{errorText(keepPlan.error, i18n)}</p> : null}
        </Alert>
      ) : null}
      {subscription.cancelAtPeriodEnd ? (
        <Alert tone="warning" testId="cancel-scheduled">
          <p>{t("overview.cancelScheduled", { date: date(subscription.currentPeriodEnd) })}</p>
          {canPay ? (
            <Button variant="secondary" busy={resume.isPending} onClick={() => resume.mutate()}>
              {t("overview.undoCancel")}
            </Button>
          ) : null}
          {resume.error ? <p className="error-text">{errorText(resume.error, i18n)}</p> : null}
        </Alert>
      ) : null}
      {canPay ? (
        <div className="actions">
          <ButtonLink to="/portal/plans">{t("overview.changePlan")}</ButtonLink>
          {!subscription.cancelAtPeriodEnd ? (
            <ButtonLink to="/portal/cancel" variant="ghost">
              {t("overview.cancel")}
            </ButtonLink>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}

function UsageCard({
  entitlement,
  features,
  resetsAt,
}: {
  entitlement: Entitlement;
  features: Feature[];
  resetsAt: string | null;
}) {
  const { t, date, number } = useI18n();
  const { canPay } = usePortal();
  const packs = usePacks();
  const featureOf = (key: string) => features.find((feature) => feature.key === key);
  const counted = Object.keys(entitlement.limits).sort();
  const flags = Object.entries(entitlement.features).filter(
    ([key]) => !(key in entitlement.limits),
  );
  return (
    <Card title={t("overview.usage")} titleId="usage-title">
      {counted.length === 0 ? <p className="muted">{t("overview.usageEmpty")}</p> : null}
      <ul className="meters">
        {counted.map((key) => {
          const feature = featureOf(key);
          const name = feature?.name ?? key;
          const balance = entitlement.balances[key];
          const hasPack = packs.data?.data.some((pack) => pack.feature === key) ?? false;
          return (
            <li key={key} className="meter-row" data-testid={`usage-${key}`}>
              <UsageMeter feature={key} label={name}>
                {balance && balance.purchased > 0 ? (
                  <span>{t("overview.purchased", { purchased: number(balance.purchased) })}</span>
                ) : null}
                {balance && resetsAt ? (
                  <span>{t("overview.resets", { date: date(resetsAt) })}</span>
                ) : null}
                {balance && hasPack && canPay ? (
                  <Link to="/portal/packs">{t("overview.buyMore")}</Link>
                ) : null}
              </UsageMeter>
              {/* Nothing while units are left; at the limit, the prompt to move to a larger plan. */}
              <Paywall
                feature={key}
                featureName={name}
                action={
                  canPay ? (
                    <ButtonLink to="/portal/plans" variant="secondary">
                      {t("overview.seePlans")}
                    </ButtonLink>
                  ) : null
                }
              />
            </li>
          );
        })}
      </ul>
      {flags.length > 0 ? (
        <ul className="flags">
          {flags.map(([key, on]) => (
            <li key={key} className={on ? "on" : "off"}>
              <span aria-hidden="true">{on ? "✓" : "–"}</span> {featureOf(key)?.name ?? key}
              <span className="visually-hidden">
                : {on ? t("overview.included") : t("overview.notIncluded")}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

function NextInvoiceCard() {
  const i18n = useI18n();
  const { t, date } = i18n;
  const { canPay } = usePortal();
  const upcoming = useUpcomingInvoice();
  if (!canPay) return null;
  return (
    <Card title={t("overview.nextInvoice")} titleId="next-invoice-title">
      {upcoming.error ? <LoadError error={upcoming.error} /> : null}
      {upcoming.isPending ? <Loading /> : null}
      {upcoming.data && !upcoming.data.invoice ? (
        <p className="muted">{t("overview.nextInvoiceNone")}</p>
      ) : null}
      {upcoming.data?.invoice ? (
        <UpcomingInvoiceTable invoice={upcoming.data.invoice} i18n={i18n} date={date} />
      ) : null}
    </Card>
  );
}

/** The next invoice's lines and totals (the overview and the licenses screen show it). */
export function UpcomingInvoiceTable({
  invoice,
  i18n,
  date,
}: {
  invoice: NonNullable<NonNullable<ReturnType<typeof useUpcomingInvoice>["data"]>["invoice"]>;
  i18n: I18n;
  date: I18n["date"];
}) {
  const { t } = i18n;
  return (
    <AmountTable
      testId="upcoming-invoice"
      caption={t("overview.nextInvoiceOn", { date: date(invoice.createdAt) })}
      currency={invoice.currency}
      lines={invoice.lines}
      totals={[
        ...(invoice.discount !== 0
          ? [{ label: t("review.discount"), amount: -invoice.discount }]
          : []),
        ...(invoice.balanceApplied !== 0
          ? [{ label: t("review.balanceApplied"), amount: -invoice.balanceApplied }]
          : []),
        { label: t("overview.nextInvoiceDue"), amount: invoice.amountDue, strong: true },
      ]}
    />
  );
}
