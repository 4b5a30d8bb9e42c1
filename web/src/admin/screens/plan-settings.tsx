import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { PlanVersions } from "../components/plan-versions.tsx";
import { ScrollRegion } from "../components/scroll-region.tsx";

type FeatureValue = boolean | number | null;
interface Price {
  interval: "month" | "year";
  currency: string;
  unitAmount: number;
}
interface Plan {
  id: string;
  name: string;
  version: number;
  prices: Price[];
  features: Record<string, FeatureValue>;
  archived: boolean;
}

const catalogKey = ["admin", "catalog"] as const;
const all = { params: { query: { limit: 100, includeArchived: "true" as const } } };

/** A feature value as typed: true, false, a whole number (a limit), or empty (unlimited). */
function parseFeatureValue(text: string): FeatureValue {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "") return null;
  if (trimmed === "true") return true;
  if (trimmed === "false") return false;
  return Number.parseInt(trimmed, 10);
}
const showFeatureValue = (value: FeatureValue) => (value === null ? "" : String(value));

/** Editing a plan: the API creates the next version; subscriptions stay on theirs. */
function PlanEditor({ plan, done }: { plan: Plan; done: (saved: Plan | null) => void }) {
  const { t, errorOf } = useAdminText();
  const id = useId();
  const [name, setName] = useState(plan.name);
  const [prices, setPrices] = useState(plan.prices.map((price) => String(price.unitAmount)));
  const [features, setFeatures] = useState(
    Object.fromEntries(
      Object.entries(plan.features).map(([key, value]) => [key, showFeatureValue(value)]),
    ),
  );
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH("/v1/plans/{planId}", {
          params: { path: { planId: plan.id } },
          body: {
            name,
            prices: plan.prices.map((price, index) => ({
              interval: price.interval,
              currency: price.currency,
              unitAmount: Number.parseInt(prices[index] ?? "", 10),
            })),
            features: Object.fromEntries(
              Object.entries(features).map(([key, text]) => [key, parseFeatureValue(text)]),
            ),
          },
        }),
      ),
    onSuccess: (saved) => done(saved as Plan),
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="confirm-box" onSubmit={onSubmit} data-testid={`plan-editor-${plan.id}`}>
      <h3>{t("plans.editTitle", { plan: plan.id, version: plan.version + 1 })}</h3>
      <p className="small muted">{t("plans.editLead")}</p>
      <div className="field">
        <label htmlFor={`${id}-name`}>{t("plans.name")}</label>
        <input
          id={`${id}-name`}
          type="text"
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
      </div>
      {plan.prices.map((price, index) => (
        <div className="field" key={`${price.interval}-${price.currency}`}>
          <label htmlFor={`${id}-price-${index}`}>
            {t("plans.price", { interval: price.interval, currency: price.currency })}
          </label>
          <input
            id={`${id}-price-${index}`}
            type="number"
            step={1}
            min={0}
            value={prices[index] ?? ""}
            onChange={(event) =>
              setPrices(prices.map((value, at) => (at === index ? event.target.value : value)))
            }
            data-testid={`price-${price.interval}-${price.currency}`}
          />
        </div>
      ))}
      {Object.keys(features).map((feature) => (
        <div className="field" key={feature}>
          <label htmlFor={`${id}-feature-${feature}`}>{t("plans.featureValue", { feature })}</label>
          <input
            id={`${id}-feature-${feature}`}
            type="text"
            value={features[feature] ?? ""}
            onChange={(event) => setFeatures({ ...features, [feature]: event.target.value })}
            data-testid={`feature-${feature}`}
          />
        </div>
      ))}
      {save.error ? <Alert tone="error">{errorOf(save.error)}</Alert> : null}
      <div className="actions">
        <Button type="submit" busy={save.isPending}>
          {t("plans.save")}
        </Button>
        <Button variant="ghost" onClick={() => done(null)}>
          {t("plans.cancel")}
        </Button>
      </div>
    </form>
  );
}

/** Plan Settings: features, plans and their versions (edit, archive), add-ons, packs and coupons. */
export function PlanSettings() {
  const { t, money, errorOf } = useAdminText();
  const client = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<Plan | null>(null);
  const [showing, setShowing] = useState<string | null>(null);
  const features = useQuery({
    queryKey: [...catalogKey, "features"],
    queryFn: () => unwrap(api.GET("/v1/features", { params: { query: { limit: 100 } } })),
  });
  const plans = useQuery({
    queryKey: [...catalogKey, "plans"],
    queryFn: () => unwrap(api.GET("/v1/plans", all)),
  });
  const addons = useQuery({
    queryKey: [...catalogKey, "addons"],
    queryFn: () => unwrap(api.GET("/v1/addons", all)),
  });
  const packs = useQuery({
    queryKey: [...catalogKey, "packs"],
    queryFn: () => unwrap(api.GET("/v1/packs", all)),
  });
  const coupons = useQuery({
    queryKey: [...catalogKey, "coupons"],
    queryFn: () => unwrap(api.GET("/v1/coupons", all)),
  });
  const archive = useMutation({
    mutationFn: ({ planId, archived }: { planId: string; archived: boolean }) =>
      unwrap(
        archived
          ? api.POST("/v1/plans/{planId}/unarchive", { params: { path: { planId } } })
          : api.POST("/v1/plans/{planId}/archive", { params: { path: { planId } } }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: catalogKey }),
  });
  const pricesOf = (prices: Price[]) =>
    prices
      .map((price) => `${money(price.unitAmount, price.currency)}/${price.interval}`)
      .join(" · ");

  return (
    <>
      <h1>{t("plans.title")}</h1>
      {saved ? (
        <Alert tone="success" testId="plan-saved">
          {t("plans.saved", { plan: saved.id, version: saved.version })}
        </Alert>
      ) : null}
      <Card title={t("plans.plans")}>
        {plans.isPending ? <Loading /> : null}
        {plans.error ? <LoadError error={plans.error} /> : null}
        {archive.error ? <Alert tone="error">{errorOf(archive.error)}</Alert> : null}
        {plans.data ? (
          <ScrollRegion label={t("plans.plans")}>
            <table data-testid="plans">
              <thead>
                <tr>
                  <th scope="col">{t("plans.key")}</th>
                  <th scope="col">{t("plans.name")}</th>
                  <th scope="col">{t("plans.version")}</th>
                  <th scope="col">{t("plans.prices")}</th>
                  <th scope="col">{t("plans.status")}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t("plans.edit")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(plans.data.data as Plan[]).map((plan) => (
                  <tr key={plan.id} data-testid={`plan-${plan.id}`}>
                    <td>
                      <code>{plan.id}</code>
                    </td>
                    <td>{plan.name}</td>
                    <td data-testid={`plan-version-${plan.id}`}>{plan.version}</td>
                    <td>{pricesOf(plan.prices)}</td>
                    <td>
                      <Badge tone={plan.archived ? "warning" : "success"}>
                        {plan.archived ? t("plans.archived") : t("plans.active")}
                      </Badge>
                    </td>
                    <td className="row-actions">
                      <Button
                        variant="secondary"
                        onClick={() => {
                          setSaved(null);
                          setEditing(plan.id);
                        }}
                        aria-label={`${t("plans.edit")} ${plan.id}`}
                      >
                        {t("plans.edit")}
                      </Button>
                      <Button
                        variant="secondary"
                        onClick={() => setShowing(showing === plan.id ? null : plan.id)}
                        aria-label={`${t("plans.versions")} ${plan.id}`}
                        aria-expanded={showing === plan.id}
                      >
                        {t("plans.versions")}
                      </Button>
                      <Button
                        variant="ghost"
                        onClick={() => archive.mutate({ planId: plan.id, archived: plan.archived })}
                        aria-label={`${plan.archived ? t("plans.unarchive") : t("plans.archive")} ${plan.id}`}
                      >
                        {plan.archived ? t("plans.unarchive") : t("plans.archive")}
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        ) : null}
        {showing ? <PlanVersions key={showing} planId={showing} /> : null}
        {editing && plans.data
          ? (() => {
              const plan = (plans.data.data as Plan[]).find((item) => item.id === editing);
              return plan ? (
                <PlanEditor
                  key={`${plan.id}-${plan.version}`}
                  plan={plan}
                  done={(result) => {
                    setEditing(null);
                    if (result) {
                      setSaved(result);
                      client.invalidateQueries({ queryKey: catalogKey });
                    }
                  }}
                />
              ) : null;
            })()
          : null}
      </Card>
      <Card title={t("plans.features")}>
        {features.data ? (
          <ScrollRegion label={t("plans.features")}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("plans.key")}</th>
                  <th scope="col">{t("plans.name")}</th>
                  <th scope="col">{t("plans.kind")}</th>
                  <th scope="col">{t("plans.unit")}</th>
                </tr>
              </thead>
              <tbody>
                {features.data.data.map((feature) => (
                  <tr key={feature.key}>
                    <td>
                      <code>{feature.key}</code>
                    </td>
                    <td>{feature.name}</td>
                    <td>{feature.kind}</td>
                    <td>{feature.unit ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        ) : (
          <Loading />
        )}
      </Card>
      <Card title={t("plans.addons")}>
        {addons.data && addons.data.data.length === 0 ? (
          <p className="muted">{t("admin.none")}</p>
        ) : null}
        {addons.data ? (
          <ul>
            {addons.data.data.map((addon) => (
              <li key={addon.id}>
                <code>{addon.id}</code> {addon.name} — {pricesOf(addon.prices as Price[])}
                {addon.archived ? ` (${t("plans.archived")})` : ""}
              </li>
            ))}
          </ul>
        ) : (
          <Loading />
        )}
      </Card>
      <Card title={t("plans.packs")}>
        {packs.data && packs.data.data.length === 0 ? (
          <p className="muted">{t("admin.none")}</p>
        ) : null}
        {packs.data ? (
          <ul>
            {packs.data.data.map((pack) => (
              <li key={pack.id}>
                <code>{pack.id}</code> {pack.name} — {pack.quantity} {pack.feature} ·{" "}
                {money(pack.price.unitAmount, pack.price.currency)}
                {pack.archived ? ` (${t("plans.archived")})` : ""}
              </li>
            ))}
          </ul>
        ) : (
          <Loading />
        )}
      </Card>
      <Card title={t("plans.coupons")}>
        {coupons.data ? (
          coupons.data.data.length === 0 ? (
            <p className="muted">{t("admin.none")}</p>
          ) : (
            <ul>
              {coupons.data.data.map((coupon) => (
                <li key={coupon.code}>
                  <code>{coupon.code}</code> —{" "}
                  {coupon.percentOff !== null && coupon.percentOff !== undefined
                    ? `${coupon.percentOff}%`
                    : coupon.amountOff !== null && coupon.amountOff !== undefined
                      ? money(coupon.amountOff, coupon.currency ?? "USD")
                      : ""}{" "}
                  · {coupon.duration} · {t("plans.redemptions")}: {coupon.timesRedeemed ?? 0}
                  {coupon.maxRedemptions ? `/${coupon.maxRedemptions}` : ""}
                </li>
              ))}
            </ul>
          )
        ) : (
          <Loading />
        )}
      </Card>
    </>
  );
}
