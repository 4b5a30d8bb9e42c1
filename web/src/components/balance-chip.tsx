import { useId, useState } from "react";
import { useBalance } from "../api/queries.ts";
import { useI18n } from "../i18n/i18n.tsx";

/** The credit balance, top right, with what it pays for one click away. */
export function BalanceChip() {
  const { t, money } = useI18n();
  const balance = useBalance();
  const [open, setOpen] = useState(false);
  const explanationId = useId();
  if (!balance.data) return null;
  const currency = balance.data.currency ?? "USD";
  return (
    <div className="balance">
      <button
        type="button"
        className="balance-button"
        aria-expanded={open}
        aria-controls={explanationId}
        onClick={() => setOpen(!open)}
      >
        <span className="balance-label">{t("balance.label")}</span>
        <span className="balance-amount" data-testid="balance" data-amount={balance.data.available}>
          {money(balance.data.available, currency)}
        </span>
        <span className="balance-info" aria-hidden="true">
          ?
        </span>
      </button>
      <p id={explanationId} className="balance-explain" hidden={!open}>
        {t("balance.explain")}
      </p>
    </div>
  );
}
