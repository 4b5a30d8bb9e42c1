import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import { keys, useEntitlement, useFeatures, usePacks, usePaymentMethods } from "../api/queries.ts";
import type { Pack } from "../api/types.ts";
import { Alert } from "../components/alert.tsx";
import { Button } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";
import { Link } from "../router.tsx";

/**
 * Buy encounters (top-up packs): price, quantity, charged at once to the card on file; the balance does
 * not apply. The remaining units update when the worker grants the pack.
 */
export function BuyPacks() {
  const { t } = useI18n();
  const packs = usePacks();
  const features = useFeatures();
  const entitlement = useEntitlement();
  const methods = usePaymentMethods();
  if (packs.error) return <LoadError error={packs.error} />;
  if (packs.isPending) return <Loading />;
  const defaultMethod = methods.data?.data.find((method) => method.default) ?? null;
  return (
    <>
      <h1>{t("packs.heading")}</h1>
      <p className="lead">{t("packs.intro")}</p>
      <Alert tone="info">{t("packs.noBalance")}</Alert>
      {packs.data.data.length === 0 ? <p>{t("packs.empty")}</p> : null}
      <div className="grid-cards">
        {packs.data.data.map((pack) => (
          <PackCard
            key={pack.id}
            pack={pack}
            featureName={
              features.data?.data.find((feature) => feature.key === pack.feature)?.name ??
              pack.feature
            }
            remaining={entitlement.data?.balances[pack.feature]?.remaining ?? null}
            purchased={entitlement.data?.balances[pack.feature]?.purchased ?? 0}
            methodName={defaultMethod?.description ?? null}
          />
        ))}
      </div>
    </>
  );
}

function PackCard({
  pack,
  featureName,
  remaining,
  purchased,
  methodName,
}: {
  pack: Pack;
  featureName: string;
  remaining: number | null;
  purchased: number;
  methodName: string | null;
}) {
  const i18n = useI18n();
  const { t, money, number } = i18n;
  const { organizationId } = usePortal();
  const queryClient = useQueryClient();
  const quantityId = useId();
  const [quantity, setQuantity] = useState(1);
  const [confirming, setConfirming] = useState(false);
  /** The purchased units expected once the grant lands. */
  const [awaiting, setAwaiting] = useState<number | null>(null);
  const total = BigInt(pack.price.unitAmount) * BigInt(quantity);
  const buy = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/purchases", {
          params: { path: { orgId: organizationId } },
          body: { packId: pack.id, quantity },
        }),
      ),
    onSuccess: (result) => {
      setConfirming(false);
      setAwaiting(purchased + result.grant.quantity);
      void queryClient.invalidateQueries({ queryKey: keys.invoices(organizationId) });
    },
  });
  const granted = awaiting !== null && purchased >= awaiting;
  // The grant is applied by the worker right after the payment: poll until it shows.
  useEffect(() => {
    if (awaiting === null || granted) return;
    const timer = window.setInterval(() => {
      void queryClient.invalidateQueries({ queryKey: keys.entitlement(organizationId) });
    }, 700);
    return () => window.clearInterval(timer);
  }, [awaiting, granted, organizationId, queryClient]);

  return (
    <Card title={pack.name} titleId={`pack-${pack.id}`} className="pack">
      <p className="pack-units">
        {t("packs.units", { quantity: number(pack.quantity), feature: featureName })}
      </p>
      <p className="price">
        <span className="amount">{money(pack.price.unitAmount, pack.price.currency)}</span>
      </p>
      <p className="muted">
        {pack.expiresAfterDays
          ? t("packs.expires", { days: pack.expiresAfterDays })
          : t("packs.noExpiry")}
      </p>
      {remaining !== null ? (
        <p className="muted" data-testid={`pack-remaining-${pack.id}`}>
          {t("packs.remaining", { remaining: number(remaining) })}
        </p>
      ) : null}
      <div className="field inline">
        <label htmlFor={quantityId}>{t("packs.quantity")}</label>
        <input
          id={quantityId}
          type="number"
          min={1}
          max={1000}
          value={quantity}
          onChange={(event) => {
            const next = Number.parseInt(event.target.value, 10);
            setQuantity(Number.isFinite(next) ? Math.min(1000, Math.max(1, next)) : 1);
            setConfirming(false);
          }}
        />
      </div>
      {!confirming ? (
        <Button onClick={() => setConfirming(true)} data-testid={`buy-${pack.id}`}>
          {t("packs.buy", { amount: money(total, pack.price.currency) })}
        </Button>
      ) : (
        <div className="confirm-box">
          <p>
            {t("packs.total")}: <strong>{money(total, pack.price.currency)}</strong>
            {methodName ? ` · ${methodName}` : ""}
          </p>
          <p className="muted">{t("packs.noBalance")}</p>
          <div className="actions">
            <Button
              busy={buy.isPending}
              onClick={() => buy.mutate()}
              data-testid={`confirm-buy-${pack.id}`}
            >
              {t("packs.buy", { amount: money(total, pack.price.currency) })}
            </Button>
            <Button variant="ghost" onClick={() => setConfirming(false)}>
              {t("app.cancel")}
            </Button>
          </div>
        </div>
      )}
      {buy.error ? (
        <Alert tone="error" testId="purchase-error">
          {errorText(buy.error, i18n)}{" "}
          <Link to="/portal/payment-methods">{t("nav.paymentMethods")}</Link>
        </Alert>
      ) : null}
      {awaiting !== null ? (
        <Alert tone="success" testId="purchase-status">
          {granted && remaining !== null
            ? t("packs.granted", { remaining: number(remaining), feature: featureName })
            : t("packs.bought")}
        </Alert>
      ) : null}
    </Card>
  );
}
