import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { ArchiveControl } from "../components/archive-control.tsx";
import { FeatureForm, type PricedEntry, PricedEntryForm } from "../components/catalog-forms.tsx";
import { CouponForm, PackForm } from "../components/offer-forms.tsx";
import { PlanVersions } from "../components/plan-versions.tsx";
import { ScrollRegion } from "../components/scroll-region.tsx";

interface Price {
  interval: "month" | "year";
  currency: string;
  unitAmount: number;
}
type Plan = PricedEntry & { archived: boolean };

const catalogKey = ["admin", "catalog"] as const;
const all = { params: { query: { limit: 100, includeArchived: "true" as const } } };

type Authoring = "feature" | "plan" | "addon" | "pack" | "coupon";

/** Plan Settings: features, plans and their versions (edit, archive), add-ons, packs and coupons. */
export function PlanSettings() {
  const { t, money } = useAdminText();
  const client = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<Plan | null>(null);
  const [showing, setShowing] = useState<string | null>(null);
  const [authoring, setAuthoring] = useState<Authoring | null>(null);
  const [editingAddon, setEditingAddon] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
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
  const pricesOf = (prices: Price[]) =>
    prices
      .map((price) => `${money(price.unitAmount, price.currency)}/${price.interval}`)
      .join(" · ");

  const featureKeys = features.data?.data.map((feature) => feature.key) ?? [];
  const finish = (what: string | null) => {
    setAuthoring(null);
    if (what !== null) {
      setCreated(what);
      client.invalidateQueries({ queryKey: catalogKey });
    }
  };
  const authoringButton = (what: Authoring, label: string) => (
    <Button
      variant="secondary"
      aria-expanded={authoring === what}
      onClick={() => {
        setCreated(null);
        setAuthoring(authoring === what ? null : what);
      }}
    >
      {label}
    </Button>
  );
  return (
    <>
      <h1>{t("plans.title")}</h1>
      <div className="authoring">
        {authoringButton("feature", t("author.newFeature"))}
        {authoringButton("plan", t("author.newPlan"))}
        {authoringButton("addon", t("author.newAddon"))}
        {authoringButton("pack", t("author.newPack"))}
        {authoringButton("coupon", t("author.newCoupon"))}
      </div>
      {created ? (
        <Alert tone="success" testId="catalog-created">
          {t("author.created", { id: created })}
        </Alert>
      ) : null}
      {authoring === "feature" ? <FeatureForm done={finish} /> : null}
      {authoring === "plan" || authoring === "addon" ? (
        <PricedEntryForm
          key={authoring}
          type={authoring}
          features={featureKeys}
          done={(saved) => finish(saved ? saved.id : null)}
        />
      ) : null}
      {authoring === "pack" ? <PackForm features={featureKeys} done={finish} /> : null}
      {authoring === "coupon" ? <CouponForm done={finish} /> : null}
      {saved ? (
        <Alert tone="success" testId="plan-saved">
          {t("plans.saved", { plan: saved.id, version: saved.version })}
        </Alert>
      ) : null}
      <Card title={t("plans.plans")}>
        {plans.isPending ? <Loading /> : null}
        {plans.error ? <LoadError error={plans.error} /> : null}
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
                      <ArchiveControl kind="plan" id={plan.id} archived={plan.archived} />
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
                <PricedEntryForm
                  type="plan"
                  key={`${plan.id}-${plan.version}`}
                  entry={plan}
                  features={featureKeys}
                  done={(result) => {
                    setEditing(null);
                    if (result) {
                      setSaved(result as Plan);
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
            <table data-testid="features">
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
          <ul data-testid="addons">
            {addons.data.data.map((addon) => (
              <li key={addon.id}>
                <code>{addon.id}</code> {addon.name} ({addon.kind}) · v{addon.version} —{" "}
                {pricesOf(addon.prices as Price[])}
                {addon.archived ? ` (${t("plans.archived")})` : ""}{" "}
                <Button
                  variant="secondary"
                  onClick={() => setEditingAddon(editingAddon === addon.id ? null : addon.id)}
                  aria-label={`${t("plans.edit")} ${addon.id}`}
                >
                  {t("plans.edit")}
                </Button>{" "}
                <ArchiveControl kind="addon" id={addon.id} archived={addon.archived} />
                {editingAddon === addon.id ? (
                  <PricedEntryForm
                    type="addon"
                    key={`${addon.id}-${addon.version}`}
                    entry={addon as PricedEntry}
                    features={featureKeys}
                    done={(result) => {
                      setEditingAddon(null);
                      if (result) {
                        setCreated(`${result.id} v${result.version}`);
                        client.invalidateQueries({ queryKey: catalogKey });
                      }
                    }}
                  />
                ) : null}
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
          <ul data-testid="packs">
            {packs.data.data.map((pack) => (
              <li key={pack.id}>
                <code>{pack.id}</code> {pack.name} — {pack.quantity} {pack.feature} ·{" "}
                {money(pack.price.unitAmount, pack.price.currency)}
                {pack.archived ? ` (${t("plans.archived")})` : ""}{" "}
                <ArchiveControl kind="pack" id={pack.id} archived={pack.archived} />
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
            <ScrollRegion label={t("plans.coupons")}>
              <table data-testid="coupons">
                <thead>
                  <tr>
                    <th scope="col">{t("plans.code")}</th>
                    <th scope="col">{t("plans.discount")}</th>
                    <th scope="col">{t("author.duration")}</th>
                    <th scope="col" className="number">
                      {t("plans.redemptions")}
                    </th>
                    <th scope="col" className="number">
                      {t("author.remaining")}
                    </th>
                    <th scope="col">{t("plans.status")}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t("plans.archive")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {coupons.data.data.map((coupon) => (
                    <tr key={coupon.code} data-testid={`coupon-${coupon.code}`}>
                      <td>
                        <code>{coupon.code}</code>
                      </td>
                      <td>
                        {coupon.percentOff !== null
                          ? `${coupon.percentOff}%`
                          : coupon.amountOff !== null
                            ? money(coupon.amountOff, coupon.currency ?? "USD")
                            : ""}
                      </td>
                      <td>
                        {coupon.duration === "repeating"
                          ? t("author.forMonths", { months: coupon.durationInMonths ?? 0 })
                          : t(`author.duration.${coupon.duration}`)}
                      </td>
                      <td className="number">{coupon.timesRedeemed}</td>
                      <td className="number">
                        {coupon.maxRedemptions === null
                          ? t("author.noCap")
                          : Math.max(coupon.maxRedemptions - coupon.timesRedeemed, 0)}
                      </td>
                      <td>
                        <Badge tone={coupon.archived ? "warning" : "success"}>
                          {coupon.archived ? t("plans.archived") : t("plans.active")}
                        </Badge>
                      </td>
                      <td className="row-actions">
                        <ArchiveControl kind="coupon" id={coupon.code} archived={coupon.archived} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          )
        ) : (
          <Loading />
        )}
      </Card>
    </>
  );
}
