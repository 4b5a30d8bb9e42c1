import { useId } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { useAdminText } from "../admin-text.ts";
import { ConfirmAction } from "./confirm-action.tsx";
import { FormField, minorUnits } from "./form-field.tsx";
import { useConfirmedAmountAction } from "./use-confirmed-amount-action.ts";

/** Pay the credit balance (all or part) back to the payment method (`POST …/balance/payouts`). */
export function BalancePayout({
  organizationId,
  currency,
  available,
}: {
  organizationId: string;
  currency: string;
  available: number;
}) {
  const { t, money } = useAdminText();
  const id = useId();
  const {
    mutation: payout,
    errors,
    amount,
    setAmount,
    reason,
    setReason,
    confirming,
    setConfirming,
    onSubmit,
  } = useConfirmedAmountAction({
    organizationId,
    send: ({ amount, reason }) =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/balance/payouts", {
          params: { path: { orgId: organizationId } },
          body: { ...(amount.trim() === "" ? {} : { amount: minorUnits(amount) }), reason },
        }),
      ),
  });
  const typed = minorUnits(amount);
  return (
    <Card title={t("money.payoutTitle")}>
      {payout.data ? (
        <Alert tone="success" testId="payout-done">
          {t("money.paidOut", {
            amount: money(-payout.data.transaction.amount, payout.data.transaction.currency),
            left: money(payout.data.balance.available, payout.data.balance.currency),
          })}
        </Alert>
      ) : null}
      <form onSubmit={onSubmit} data-testid="payout-form">
        <FormField
          id={`${id}-amount`}
          label={t("money.payoutAmount", { currency, available: money(available, currency) })}
          error={errors.amount}
        >
          {(describedBy) => (
            <input
              id={`${id}-amount`}
              type="text"
              inputMode="numeric"
              value={amount}
              onChange={(event) => setAmount(event.target.value)}
              aria-describedby={describedBy}
            />
          )}
        </FormField>
        <FormField id={`${id}-reason`} label={t("adjust.reason")} error={errors.reason}>
          {(describedBy) => (
            <input
              id={`${id}-reason`}
              type="text"
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              aria-describedby={describedBy}
            />
          )}
        </FormField>
        {confirming ? null : <Button type="submit">{t("money.payout")}</Button>}
      </form>
      {confirming ? (
        <ConfirmAction
          testId="payout-confirm"
          confirm={{ label: t("money.confirmPayout"), run: () => payout.mutate() }}
          back={() => setConfirming(false)}
          busy={payout.isPending}
          error={Object.keys(errors).length > 0 ? null : payout.error}
        >
          {t("money.payoutWarning", {
            amount:
              amount.trim() === ""
                ? money(available, currency)
                : Number.isNaN(typed)
                  ? amount
                  : money(typed, currency),
          })}
        </ConfirmAction>
      ) : null}
    </Card>
  );
}
