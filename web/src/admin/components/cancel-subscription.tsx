import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { useAdminText } from "../admin-text.ts";
import { ConfirmAction } from "./confirm-action.tsx";

/**
 * Cancel the organization's subscription as the operator: at the period end, or now with or without
 * crediting the unused time to the balance (`POST …/subscription/cancel`). The confirmation names the
 * plan's price for the period; the credit note that results is shown afterwards.
 */
export function CancelSubscription({
  organizationId,
  subscription,
}: {
  organizationId: string;
  subscription: {
    planId: string;
    status: string;
    currency: string;
    currentPeriodEnd: string;
    cancelAtPeriodEnd: boolean;
  } | null;
}) {
  const { t, money, date } = useAdminText();
  const id = useId();
  const client = useQueryClient();
  const [when, setWhen] = useState<"period_end" | "now">("period_end");
  const [credit, setCredit] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/subscription/cancel", {
          params: { path: { orgId: organizationId } },
          body: { atPeriodEnd: when === "period_end", creditUnusedTime: when === "now" && credit },
        }),
      ),
    onSuccess: () => {
      setConfirming(false);
      client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] });
    },
  });
  const live =
    subscription !== null &&
    ["trialing", "active", "past_due"].includes(subscription.status) &&
    !subscription.cancelAtPeriodEnd;
  const credited = (cancel.data?.invoices ?? []).reduce(
    (sum, invoice) => sum + BigInt(invoice.creditedToBalance),
    0n,
  );
  return (
    <Card title={t("money.cancelTitle")}>
      {cancel.data ? (
        <Alert tone="success" testId="cancel-done">
          {cancel.data.subscription.status === "canceled"
            ? t("money.canceledNow", {
                amount: money(credited, cancel.data.subscription.currency),
              })
            : t("money.canceledAtEnd", { date: date(cancel.data.subscription.currentPeriodEnd) })}
        </Alert>
      ) : null}
      {!live || subscription === null ? (
        cancel.data ? null : (
          <p className="muted">{t("money.nothingToCancel")}</p>
        )
      ) : (
        <>
          <fieldset className="rows">
            <legend>{t("money.when")}</legend>
            <div className="inline">
              <input
                type="radio"
                id={`${id}-end`}
                name={`${id}-when`}
                checked={when === "period_end"}
                onChange={() => setWhen("period_end")}
              />
              <label htmlFor={`${id}-end`}>
                {t("money.atPeriodEnd", { date: date(subscription.currentPeriodEnd) })}
              </label>
            </div>
            <div className="inline">
              <input
                type="radio"
                id={`${id}-now`}
                name={`${id}-when`}
                checked={when === "now"}
                onChange={() => setWhen("now")}
                data-testid="cancel-now"
              />
              <label htmlFor={`${id}-now`}>{t("money.now")}</label>
            </div>
            {when === "now" ? (
              <div className="inline">
                <input
                  type="checkbox"
                  id={`${id}-credit`}
                  checked={credit}
                  onChange={(event) => setCredit(event.target.checked)}
                  data-testid="cancel-credit"
                />
                <label htmlFor={`${id}-credit`}>{t("money.creditUnused")}</label>
              </div>
            ) : null}
          </fieldset>
          {confirming ? (
            <ConfirmAction
              testId="cancel-confirm"
              confirm={{ label: t("money.confirmCancel"), run: () => cancel.mutate() }}
              back={() => setConfirming(false)}
              busy={cancel.isPending}
              error={cancel.error}
            >
              {when === "period_end"
                ? t("money.cancelAtEndWarning", {
                    plan: subscription.planId,
                    date: date(subscription.currentPeriodEnd),
                  })
                : credit
                  ? t("money.cancelCreditWarning", {
                      plan: subscription.planId,
                      currency: subscription.currency,
                    })
                  : t("money.cancelNowWarning", { plan: subscription.planId })}
            </ConfirmAction>
          ) : (
            <Button variant="danger" onClick={() => setConfirming(true)}>
              {t("money.cancelSubscription")}
            </Button>
          )}
        </>
      )}
    </Card>
  );
}
