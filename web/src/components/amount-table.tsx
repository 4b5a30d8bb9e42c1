import type { ReactNode } from "react";
import { useI18n } from "../i18n/i18n.tsx";

export interface AmountLine {
  description: string;
  amount: number;
  periodStart?: string | null;
  periodEnd?: string | null;
}

/** Lines of an invoice or a preview, with their periods and signed amounts. */
export function AmountTable({
  caption,
  lines,
  currency,
  totals = [],
  testId,
}: {
  caption: string;
  lines: AmountLine[];
  currency: string;
  totals?: { label: string; amount: number; strong?: boolean; testId?: string; note?: ReactNode }[];
  testId?: string;
}) {
  const { t, money, date } = useI18n();
  const showPeriods = lines.some((line) => line.periodStart && line.periodEnd);
  const period = (line: AmountLine) =>
    line.periodStart && line.periodEnd ? `${date(line.periodStart)} – ${date(line.periodEnd)}` : "";
  return (
    <div className="table-wrap">
      <table className="amounts" data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("review.description")}</th>
            {showPeriods ? (
              <th scope="col" className="period">
                {t("review.period")}
              </th>
            ) : null}
            <th scope="col" className="number">
              {t("review.amount")}
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line, index) => (
            // Lines have no ids; their order is their identity.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <tr key={index}>
              <td>
                {line.description}
                {showPeriods && period(line) ? (
                  <div className="line-period muted small">{period(line)}</div>
                ) : null}
              </td>
              {showPeriods ? <td className="period muted">{period(line)}</td> : null}
              <td className={`number${line.amount < 0 ? " credit" : ""}`} data-amount={line.amount}>
                {money(line.amount, currency)}
              </td>
            </tr>
          ))}
        </tbody>
        {totals.length > 0 ? (
          <tfoot>
            {totals.map((total) => (
              <tr key={total.label} className={total.strong ? "strong" : undefined}>
                {showPeriods ? (
                  // Spanning the period column on wide screens; the narrow twin is used when that column is hidden.
                  <th scope="row" colSpan={2} className="total-label wide">
                    {total.label}
                    {total.note ? <div className="note">{total.note}</div> : null}
                  </th>
                ) : null}
                <th scope="row" className={`total-label${showPeriods ? " narrow" : ""}`}>
                  {total.label}
                  {total.note ? <div className="note">{total.note}</div> : null}
                </th>
                <td className="number" data-testid={total.testId} data-amount={total.amount}>
                  {money(total.amount, currency)}
                </td>
              </tr>
            ))}
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}
