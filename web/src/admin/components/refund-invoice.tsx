import { useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { useAdminText } from "../admin-text.ts";
import { ConfirmAction } from "./confirm-action.tsx";
import { FormField, minorUnits } from "./form-field.tsx";
import { useConfirmedAmountAction } from "./use-confirmed-amount-action.ts";

interface PaidInvoice {
  id: string;
  number: string | null;
  currency: string;
  total: number;
  amountPaid: number;
  balanceApplied: number;
}

/**
 * Refund a paid invoice, all or part of it, to the payment method or to the credit balance
 * (`POST /v1/invoices/:id/refunds`); a credit note records it. Confirmed with the amount first.
 */
export function RefundInvoice({
  organizationId,
  invoices,
}: {
  organizationId: string;
  invoices: PaidInvoice[];
}) {
  const { t, money } = useAdminText();
  const id = useId();
  const [invoiceId, setInvoiceId] = useState("");
  const [to, setTo] = useState<"payment_method" | "balance">("payment_method");
  const chosen = invoices.find((invoice) => invoice.id === invoiceId) ?? invoices[0];
  const {
    mutation: refund,
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
        api.POST("/v1/invoices/{invoiceId}/refunds", {
          params: { path: { invoiceId: chosen?.id ?? "" } },
          body: {
            ...(amount.trim() === "" ? {} : { amount: minorUnits(amount) }),
            to,
            reason,
          },
        }),
      ),
  });
  if (!chosen) {
    return (
      <Card title={t("money.refundTitle")}>
        <p className="muted">{t("money.noPaidInvoices")}</p>
      </Card>
    );
  }
  const shown = (minor: number | bigint) => money(minor, chosen.currency);
  const typed = minorUnits(amount);
  return (
    <Card title={t("money.refundTitle")}>
      {refund.data ? (
        <Alert tone="success" testId="refund-done">
          {t("money.refunded", {
            number: refund.data.creditNote.number ?? refund.data.creditNote.id,
            amount: shown(-refund.data.creditNote.total),
            left: shown(refund.data.refundable),
          })}
        </Alert>
      ) : null}
      <form onSubmit={onSubmit} data-testid="refund-form">
        <div className="field">
          <label htmlFor={`${id}-invoice`}>{t("money.invoice")}</label>
          <select
            id={`${id}-invoice`}
            value={chosen.id}
            onChange={(event) => setInvoiceId(event.target.value)}
            data-testid="refund-invoice"
          >
            {invoices.map((invoice) => (
              <option key={invoice.id} value={invoice.id}>
                {invoice.number ?? invoice.id} — {money(invoice.total, invoice.currency)}
              </option>
            ))}
          </select>
        </div>
        <FormField
          id={`${id}-amount`}
          label={t("money.refundAmount", { currency: chosen.currency })}
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
              data-testid="refund-amount"
            />
          )}
        </FormField>
        <div className="field">
          <label htmlFor={`${id}-to`}>{t("money.refundTo")}</label>
          <select
            id={`${id}-to`}
            value={to}
            onChange={(event) => setTo(event.target.value as typeof to)}
            data-testid="refund-to"
          >
            <option value="payment_method">{t("money.to.payment_method")}</option>
            <option value="balance">{t("money.to.balance")}</option>
          </select>
        </div>
        <FormField id={`${id}-reason`} label={t("adjust.reason")} error={errors.reason}>
          {(describedBy) => (
            <input
              id={`${id}-reason`}
              type="text"
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              aria-describedby={describedBy}
              data-testid="refund-reason"
            />
          )}
        </FormField>
        {confirming ? null : <Button type="submit">{t("money.refund")}</Button>}
      </form>
      {confirming ? (
        <ConfirmAction
          testId="refund-confirm"
          confirm={{ label: t("money.confirmRefund"), run: () => refund.mutate() }}
          back={() => setConfirming(false)}
          busy={refund.isPending}
          error={Object.keys(errors).length > 0 ? null : refund.error}
        >
          {t(to === "balance" ? "money.refundToBalanceWarning" : "money.refundToCardWarning", {
            amount:
              amount.trim() === ""
                ? t("money.allLeft")
                : Number.isNaN(typed)
                  ? amount
                  : shown(typed),
            number: chosen.number ?? chosen.id,
            paid: shown(BigInt(chosen.amountPaid) + BigInt(chosen.balanceApplied)),
          })}
        </ConfirmAction>
      ) : null}
    </Card>
  );
}
