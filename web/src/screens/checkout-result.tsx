import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, unwrap } from "../api/client.ts";
import { keys, usePlans, useSubscription } from "../api/queries.ts";
import { Alert } from "../components/alert.tsx";
import { ButtonLink } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";
import { useLocation } from "../router.tsx";

const slowAfterMs = 20_000;

/**
 * Where a provider sends the customer after paying (and where a sandbox or free checkout lands): waits for
 * the payment to be confirmed (the webhook), then shows the plan that is now active.
 */
export function CheckoutSuccess() {
  const { t, date } = useI18n();
  const { organizationId } = usePortal();
  const { query } = useLocation();
  const queryClient = useQueryClient();
  const requested = query.get("checkout");
  const checkout = useQuery({
    queryKey: [...keys.checkouts(organizationId), requested ?? "latest"],
    queryFn: async () => {
      if (requested) {
        return unwrap(
          api.GET("/v1/organizations/{orgId}/checkouts/{checkoutId}", {
            params: { path: { orgId: organizationId, checkoutId: requested } },
          }),
        );
      }
      const latest = await unwrap(
        api.GET("/v1/organizations/{orgId}/checkouts", {
          params: { path: { orgId: organizationId }, query: { limit: 1 } },
        }),
      );
      return latest.data[0] ?? null;
    },
    refetchInterval: (current) => (current.state.data?.status === "open" ? 1_500 : false),
  });
  const status = checkout.data?.status;
  // PayPal confirms a payment when the return page captures the approved order (docs/payments.md);
  // whichever of the capture and the webhook comes first completes the checkout, once.
  const captured = useRef(false);
  const capture = useMutation({
    mutationFn: (checkoutId: string) =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/checkouts/{checkoutId}/capture", {
          params: { path: { orgId: organizationId, checkoutId } },
        }),
      ),
    onSettled: () => checkout.refetch(),
  });
  useEffect(() => {
    const current = checkout.data;
    if (current?.provider !== "paypal" || current.status !== "open" || captured.current) return;
    captured.current = true;
    capture.mutate(current.id);
  }, [checkout.data, capture]);
  useEffect(() => {
    if (status === "completed") void queryClient.invalidateQueries({ queryKey: [organizationId] });
  }, [status, organizationId, queryClient]);
  const subscription = useSubscription();
  const plans = usePlans();
  const slow =
    checkout.data?.status === "open" &&
    Date.now() - new Date(checkout.data.createdAt).getTime() > slowAfterMs;
  if (checkout.error) return <LoadError error={checkout.error} />;
  if (checkout.isPending) return <Loading />;
  const planName = (id: string) => plans.data?.data.find((plan) => plan.id === id)?.name ?? id;
  return (
    <Card>
      <h1>{t("result.successHeading")}</h1>
      {!checkout.data ? <p>{t("result.noSession")}</p> : null}
      {checkout.data?.status === "open" ? (
        <p role="status">
          <span className="spinner" aria-hidden="true" />{" "}
          {slow ? t("result.slow") : t("result.waiting")}
        </p>
      ) : null}
      {checkout.data?.status === "completed" && subscription.data ? (
        <Alert tone="success" testId="checkout-activated">
          {subscription.data.endedAt === null
            ? t("result.activeUntil", {
                plan: planName(subscription.data.planId),
                date: date(subscription.data.currentPeriodEnd),
              })
            : t("result.active", { plan: planName(subscription.data.planId) })}
        </Alert>
      ) : null}
      {checkout.data && (checkout.data.status === "failed" || checkout.data.status === "stale") ? (
        <Alert tone="error" testId="checkout-failed">
          {t("result.failed", { reason: checkout.data.failureMessage ?? checkout.data.status })}
        </Alert>
      ) : null}
      <div className="actions">
        <ButtonLink to="/portal/">{t("result.toOverview")}</ButtonLink>
      </div>
    </Card>
  );
}

export function CheckoutCanceled() {
  const { t } = useI18n();
  return (
    <Card>
      <h1>{t("result.cancelHeading")}</h1>
      <p data-testid="checkout-canceled">{t("result.canceled")}</p>
      <div className="actions">
        <ButtonLink to="/portal/plans">{t("result.toPlans")}</ButtonLink>
        <ButtonLink to="/portal/" variant="secondary">
          {t("result.toOverview")}
        </ButtonLink>
      </div>
    </Card>
  );
}

/** The return pages without a portal session (another browser, or the session ended): nothing to show but thanks. */
export function CheckoutReturnWithoutSession({ canceled }: { canceled: boolean }) {
  const { t } = useI18n();
  return (
    <main id="main" className="standalone">
      <Card>
        <h1>{canceled ? t("result.cancelHeading") : t("result.successHeading")}</h1>
        <p>{canceled ? t("result.canceled") : t("result.noSession")}</p>
      </Card>
    </main>
  );
}
