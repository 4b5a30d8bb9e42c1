import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import { useAddons, useSubscription, useUpcomingInvoice } from "../api/queries.ts";
import type { Addon, Subscription } from "../api/types.ts";
import { Alert } from "../components/alert.tsx";
import { Badge } from "../components/badge.tsx";
import { Button, ButtonLink } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";
import { UpcomingInvoiceTable } from "./overview.tsx";

/**
 * Licenses and services (add-ons): quantities; the prorated difference goes on the next invoice, which is
 * shown below as the renewal will bill it.
 */
export function Addons() {
  const i18n = useI18n();
  const { t, date } = i18n;
  const addons = useAddons();
  const subscription = useSubscription();
  const upcoming = useUpcomingInvoice();
  if (addons.error || subscription.error) {
    return <LoadError error={addons.error ?? subscription.error} />;
  }
  if (addons.isPending || subscription.isPending) return <Loading />;
  const live = subscription.data;
  return (
    <>
      <h1>{t("addons.heading")}</h1>
      <p className="lead">{t("addons.intro")}</p>
      {!live ? (
        <Alert tone="info">
          <p>{t("addons.needsSubscription")}</p>
          <ButtonLink to="/portal/checkout">{t("overview.choosePlan")}</ButtonLink>
        </Alert>
      ) : null}
      {addons.data.data.length === 0 ? <p>{t("addons.empty")}</p> : null}
      {live ? (
        <div className="grid-cards">
          {addons.data.data.map((addon) => (
            <AddonCard key={addon.id} addon={addon} subscription={live} />
          ))}
        </div>
      ) : null}
      {live && upcoming.data?.invoice ? (
        <Card title={t("overview.nextInvoice")} titleId="addons-next-invoice">
          <UpcomingInvoiceTable invoice={upcoming.data.invoice} i18n={i18n} date={date} />
        </Card>
      ) : null}
    </>
  );
}

function AddonCard({ addon, subscription }: { addon: Addon; subscription: Subscription }) {
  const i18n = useI18n();
  const { t, money } = i18n;
  const { organizationId } = usePortal();
  const queryClient = useQueryClient();
  const inputId = useId();
  const current = subscription.items.find((item) => item.addonId === addon.id)?.quantity ?? 0;
  const [quantity, setQuantity] = useState(current);
  const price = addon.prices.find(
    (entry) => entry.interval === subscription.interval && entry.currency === subscription.currency,
  );
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/subscription/items", {
          params: { path: { orgId: organizationId } },
          body: { addonId: addon.id, quantity },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [organizationId] }),
  });
  return (
    <Card title={addon.name} titleId={`addon-${addon.id}`}>
      <p>
        <Badge>{addon.kind === "license" ? t("addons.license") : t("addons.service")}</Badge>
      </p>
      {price ? (
        <p className="muted">
          {t("addons.price", {
            amount: money(price.unitAmount, price.currency),
            period: t(`plans.period.${subscription.interval}`),
          })}
        </p>
      ) : null}
      <div className="field inline">
        <label htmlFor={inputId}>{t("addons.quantity")}</label>
        <input
          id={inputId}
          type="number"
          min={0}
          max={100000}
          value={quantity}
          onChange={(event) => {
            const next = Number.parseInt(event.target.value, 10);
            setQuantity(Number.isFinite(next) ? Math.max(0, Math.min(100000, next)) : 0);
          }}
          data-testid={`quantity-${addon.id}`}
        />
        <Button
          variant="secondary"
          busy={save.isPending}
          disabled={quantity === current || !price}
          onClick={() => save.mutate()}
          data-testid={`save-${addon.id}`}
        >
          {t("addons.update")}
        </Button>
      </div>
      {save.isSuccess && quantity === current ? (
        <Alert tone="success">{t("addons.saved")}</Alert>
      ) : null}
      {save.error ? <Alert tone="error">{errorText(save.error, i18n)}</Alert> : null}
    </Card>
  );
}
