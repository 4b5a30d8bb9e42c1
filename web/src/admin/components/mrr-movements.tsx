import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.ts";
import { Card } from "../../components/card.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { type AdminText, useAdminText } from "../admin-text.ts";
import { ScrollRegion } from "./scroll-region.tsx";

interface Movement {
  month: string;
  currency: string;
  opening: number;
  new: number;
  expansion: number;
  contraction: number;
  churn: number;
  closing: number;
}

const kinds = [
  { key: "new", sign: 1, className: "movement-new" },
  { key: "expansion", sign: 1, className: "movement-expansion" },
  { key: "contraction", sign: -1, className: "movement-contraction" },
  { key: "churn", sign: -1, className: "movement-churn" },
] as const;

/**
 * The dashboard's MRR movements by month (new and expansion up, contraction and churn down from the zero
 * line, one chart per currency: never summed across currencies) and revenue by provider. The chart is
 * plain SVG (a handful of rectangles; no chart library), and the table beside it carries the figures for
 * screen readers and copying.
 */
export function MrrMovements() {
  const { t, money } = useAdminText();
  const movements = useQuery({
    queryKey: ["admin", "dashboard", "movements"],
    queryFn: () =>
      unwrap(api.GET("/v1/admin/dashboard/movements", { params: { query: { months: 6 } } })),
  });
  if (movements.isPending) return <Loading />;
  if (movements.error) {
    return <LoadError error={movements.error} retry={() => movements.refetch()} />;
  }
  const { mrrMovements, revenueByProvider } = movements.data;
  const currencies = [...new Set(mrrMovements.map((row) => row.currency))].sort();
  return (
    <>
      <Card title={t("movements.title")}>
        <p className="small muted">{t("movements.help")}</p>
        {currencies.length === 0 ? <p className="muted">{t("admin.none")}</p> : null}
        {currencies.map((currency) => (
          <CurrencyMovements
            key={currency}
            currency={currency}
            rows={mrrMovements.filter((row) => row.currency === currency)}
            text={{ t, money }}
          />
        ))}
      </Card>
      <Card title={t("revenue.title")}>
        <p className="small muted">{t("revenue.help")}</p>
        {revenueByProvider.length === 0 ? (
          <p className="muted">{t("admin.none")}</p>
        ) : (
          <ScrollRegion label={t("revenue.title")}>
            <table data-testid="revenue-by-provider">
              <thead>
                <tr>
                  <th scope="col">{t("movements.month")}</th>
                  <th scope="col">{t("revenue.provider")}</th>
                  <th scope="col" className="number">
                    {t("revenue.payments")}
                  </th>
                  <th scope="col" className="number">
                    {t("revenue.amount")}
                  </th>
                  <th scope="col" className="number">
                    {t("revenue.refunded")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {revenueByProvider.map((row) => (
                  <tr key={`${row.month}-${row.provider}-${row.currency}`}>
                    <td className="nowrap">{row.month}</td>
                    <td>{row.provider}</td>
                    <td className="number">{row.payments}</td>
                    <td className="number">{money(row.amount, row.currency)}</td>
                    <td className="number">{money(row.refunded, row.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </Card>
    </>
  );
}

function CurrencyMovements({
  currency,
  rows,
  text: { t, money },
}: {
  currency: string;
  rows: Movement[];
  text: Pick<AdminText, "t" | "money">;
}) {
  // About a phone's width in CSS pixels, so labels keep their size there; wider screens scale it up.
  const width = 340;
  const height = 150;
  const up = Math.max(1, ...rows.map((row) => row.new + row.expansion));
  const down = Math.max(0, ...rows.map((row) => row.contraction + row.churn));
  const scale = (height - 30) / (up + down);
  const zero = 10 + up * scale;
  const slot = width / Math.max(rows.length, 1);
  return (
    <section className="movements" data-testid={`movements-${currency}`}>
      <h3>{currency}</h3>
      <svg
        className="movement-chart"
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={t("movements.chart", { currency })}
      >
        <line x1={0} x2={width} y1={zero} y2={zero} className="movement-axis" />
        {rows.map((row, index) => {
          let above = zero;
          let below = zero;
          const x = index * slot + slot * 0.25;
          return (
            <g key={row.month}>
              {kinds.map(({ key, sign, className }) => {
                const size = row[key] * scale;
                if (size <= 0) return null;
                const y = sign > 0 ? above - size : below;
                if (sign > 0) above -= size;
                else below += size;
                return (
                  <rect
                    key={key}
                    x={x}
                    y={y}
                    width={slot * 0.5}
                    height={Math.max(size, 1)}
                    className={className}
                  />
                );
              })}
              <text x={index * slot + slot / 2} y={height - 4} textAnchor="middle">
                {row.month}
              </text>
            </g>
          );
        })}
      </svg>
      <p className="small muted legend">
        {kinds.map(({ key, className }) => (
          <span key={key}>
            <span className={`swatch ${className}`} aria-hidden="true" /> {t(
              `movements.${key}`,
            )}{" "}
          </span>
        ))}
      </p>
      <ScrollRegion label={t("movements.chart", { currency })}>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("movements.month")}</th>
              <th scope="col" className="number">
                {t("movements.opening")}
              </th>
              {kinds.map(({ key }) => (
                <th scope="col" className="number" key={key}>
                  {t(`movements.${key}`)}
                </th>
              ))}
              <th scope="col" className="number">
                {t("movements.closing")}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.month}>
                <td className="nowrap">{row.month}</td>
                <td className="number">{money(row.opening, currency)}</td>
                {kinds.map(({ key, sign }) => (
                  <td className="number" key={key}>
                    {row[key] === 0 ? "—" : `${sign > 0 ? "+" : "−"}${money(row[key], currency)}`}
                  </td>
                ))}
                <td className="number">{money(row.closing, currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}
