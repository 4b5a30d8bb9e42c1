import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import { useBalance, useSubscription } from "../api/queries.ts";
import { Alert } from "../components/alert.tsx";
import { Button, ButtonLink } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { flash } from "../flash.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";
import { navigate } from "../router.tsx";

/** Cancel at the period end (undoable until then) or now, saying what happens to access and the balance. */
export function CancelSubscription() {
  const i18n = useI18n();
  const { t, date, money } = i18n;
  const { organizationId } = usePortal();
  const subscription = useSubscription();
  const balance = useBalance();
  const queryClient = useQueryClient();
  const [atPeriodEnd, setAtPeriodEnd] = useState(true);
  const cancel = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/subscription/cancel", {
          params: { path: { orgId: organizationId } },
          body: { atPeriodEnd },
        }),
      ),
    onSuccess: async (result) => {
      flash(
        ({ t, date }) =>
          atPeriodEnd
            ? t("cancel.done", { date: date(result.subscription.currentPeriodEnd) })
            : t("cancel.doneNow"),
        "/portal",
      );
      await queryClient.invalidateQueries({ queryKey: [organizationId] });
      navigate("/portal/");
    },
  });
  if (subscription.error) return <LoadError error={subscription.error} />;
  if (subscription.isPending) return <Loading />;
  const live = subscription.data;
  if (!live) {
    return (
      <>
        <h1>{t("cancel.heading")}</h1>
        <p>{t("overview.noSubscription")}</p>
      </>
    );
  }
  const end = date(live.currentPeriodEnd);
  return (
    <>
      <h1>{t("cancel.heading")}</h1>
      <Card>
        <fieldset className="choices large">
          <legend className="visually-hidden">{t("cancel.heading")}</legend>
          <label>
            <input
              type="radio"
              name="when"
              checked={atPeriodEnd}
              onChange={() => setAtPeriodEnd(true)}
            />
            <span>
              <strong>{t("cancel.atPeriodEnd", { date: end })}</strong>
              <span className="help">{t("cancel.atPeriodEndHelp", { date: end })}</span>
            </span>
          </label>
          <label>
            <input
              type="radio"
              name="when"
              checked={!atPeriodEnd}
              onChange={() => setAtPeriodEnd(false)}
            />
            <span>
              <strong>{t("cancel.now")}</strong>
              <span className="help">{t("cancel.nowHelp")}</span>
            </span>
          </label>
        </fieldset>
        {balance.data && balance.data.available > 0 ? (
          <p className="note">
            {t("cancel.balance", {
              amount: money(balance.data.available, balance.data.currency ?? live.currency),
            })}
          </p>
        ) : null}
        {cancel.error ? <Alert tone="error">{errorText(cancel.error, i18n)}</Alert> : null}
        <div className="actions">
          <Button
            variant="danger"
            busy={cancel.isPending}
            onClick={() => cancel.mutate()}
            data-testid="confirm-cancel"
          >
            {t("cancel.confirm")}
          </Button>
          <ButtonLink to="/portal/" variant="secondary">
            {t("cancel.keep")}
          </ButtonLink>
        </div>
      </Card>
    </>
  );
}
