import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { useAdminText } from "../admin-text.ts";

/**
 * A balance adjustment (POST /v1/root/organizations/:orgId/balance-adjustments) in minor units, with its
 * mandatory reason; the ledger shows it once made.
 */
export function BalanceAdjustment({
  organizationId,
  currency,
}: {
  organizationId: string;
  currency: string;
}) {
  const { t, errorOf, money } = useAdminText();
  const id = useId();
  const client = useQueryClient();
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [description, setDescription] = useState("");
  const adjust = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/root/organizations/{orgId}/balance-adjustments", {
          params: { path: { orgId: organizationId } },
          body: {
            amount: Number.parseInt(amount, 10),
            currency,
            reason,
            ...(description.trim() ? { description: description.trim() } : {}),
          },
        }),
      ),
    onSuccess: () => {
      setAmount("");
      setReason("");
      setDescription("");
      client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] });
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    adjust.mutate();
  };
  return (
    <Card title={t("adjust.title")} titleId={`${id}-title`}>
      <form onSubmit={onSubmit} data-testid="balance-adjustment">
        <div className="field">
          <label htmlFor={`${id}-amount`}>{t("adjust.amount", { currency })}</label>
          <input
            id={`${id}-amount`}
            type="number"
            step={1}
            value={amount}
            onChange={(event) => setAmount(event.target.value)}
            required
            data-testid="adjust-amount"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>{t("adjust.reason")}</label>
          <input
            id={`${id}-reason`}
            type="text"
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            data-testid="adjust-reason"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-description`}>{t("adjust.description")}</label>
          <input
            id={`${id}-description`}
            type="text"
            value={description}
            onChange={(event) => setDescription(event.target.value)}
            data-testid="adjust-description"
          />
        </div>
        {adjust.error ? <Alert tone="error">{errorOf(adjust.error)}</Alert> : null}
        {adjust.data ? (
          <Alert tone="success" testId="adjust-done">
            {t("adjust.done", {
              amount: money(adjust.data.balance.available, adjust.data.balance.currency),
            })}
          </Alert>
        ) : null}
        <Button type="submit" busy={adjust.isPending}>
          {t("adjust.submit")}
        </Button>
      </form>
    </Card>
  );
}
