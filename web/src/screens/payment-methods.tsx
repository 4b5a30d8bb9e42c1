import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import { keys, usePaymentMethods, useProviders } from "../api/queries.ts";
import type { PaymentMethod } from "../api/types.ts";
import { Alert } from "../components/alert.tsx";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { usePortal } from "../portal-context.tsx";
import { navigate, useLocation } from "../router.tsx";

const sandboxCards: { token: string; label: MessageKey }[] = [
  { token: "pm_sandbox_ok", label: "methods.sandboxOk" },
  { token: "pm_sandbox_declined", label: "methods.sandboxDeclined" },
];

/**
 * Stored payment methods: the default, make another the default, remove, add (on the provider's page
 * when Stripe is configured, sandbox cards in test mode). Back from the provider's page, the card is
 * stored at once, while the list still loads.
 */
export function PaymentMethods() {
  const { t } = useI18n();
  const methods = usePaymentMethods();
  // Asked for alongside the list, not after it.
  const providers = useProviders();
  return (
    <>
      <h1>{t("methods.heading")}</h1>
      <SetupReturn />
      {methods.error ? (
        <LoadError error={methods.error} />
      ) : methods.isPending ? (
        <Loading />
      ) : (
        <MethodList methods={methods.data.data} providers={providers.data?.data} />
      )}
    </>
  );
}

/** The stored methods and the ways to add one. */
function MethodList({
  methods,
  providers,
}: {
  methods: PaymentMethod[];
  /** Undefined while loading. */
  providers: { name: string; checkout: boolean; cardSetup: boolean }[] | undefined;
}) {
  const { t } = useI18n();
  const configured = providers ?? [];
  const cardSetup = configured.filter((provider) => provider.cardSetup);
  const hosted = configured
    .filter((provider) => provider.checkout && !provider.cardSetup && provider.name !== "sandbox")
    .map((provider) => t(`checkout.provider.${provider.name}` as MessageKey));
  const sandbox = configured.some((provider) => provider.name === "sandbox");
  return (
    <>
      {methods.length === 0 ? <p>{t("methods.empty")}</p> : null}
      <ul className="method-list" data-testid="payment-methods">
        {methods.map((method) => (
          <MethodRow key={method.id} method={method} />
        ))}
      </ul>
      <Card title={t("methods.add")} titleId="add-method">
        {cardSetup.map((provider) => (
          <div className="add-option" key={provider.name}>
            <AddCardOnProviderPage provider={provider.name} />
          </div>
        ))}
        {sandbox ? (
          <div className="add-option">
            <AddSandboxCard />
          </div>
        ) : null}
        {hosted.length > 0 ? (
          <p className="muted">{t("methods.otherProviders", { providers: hosted.join(", ") })}</p>
        ) : null}
        {!sandbox && hosted.length === 0 && cardSetup.length === 0 && providers ? (
          <p className="muted">{t("methods.noProviders")}</p>
        ) : null}
      </Card>
    </>
  );
}

function MethodRow({ method }: { method: PaymentMethod }) {
  const i18n = useI18n();
  const { t, date } = i18n;
  const { organizationId } = usePortal();
  const queryClient = useQueryClient();
  const [confirmRemove, setConfirmRemove] = useState(false);
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: keys.paymentMethods(organizationId) });
  const path = { orgId: organizationId, paymentMethodId: method.id };
  const makeDefault = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/payment-methods/{paymentMethodId}/default", {
          params: { path },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(
        api.DELETE("/v1/organizations/{orgId}/payment-methods/{paymentMethodId}", {
          params: { path },
        }),
      ),
    onSuccess: refresh,
  });
  const name = method.description ?? method.provider;
  const error = makeDefault.error ?? remove.error;
  return (
    <li className="method" data-testid={`method-${method.id}`}>
      <div className="method-main">
        <span className="method-icon" aria-hidden="true">
          ▭
        </span>
        <div>
          <p className="method-name">
            {name} {method.default ? <Badge tone="success">{t("methods.default")}</Badge> : null}
          </p>
          <p className="muted small">{t("methods.addedOn", { date: date(method.createdAt) })}</p>
        </div>
      </div>
      <div className="actions">
        {!method.default ? (
          <Button
            variant="secondary"
            busy={makeDefault.isPending}
            onClick={() => makeDefault.mutate()}
          >
            {t("methods.makeDefault")}
          </Button>
        ) : null}
        {confirmRemove ? (
          <>
            <span>{t("methods.removeConfirm", { name })}</span>
            <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
              {t("methods.remove")}
            </Button>
            <Button variant="ghost" onClick={() => setConfirmRemove(false)}>
              {t("app.cancel")}
            </Button>
          </>
        ) : (
          <Button variant="ghost" onClick={() => setConfirmRemove(true)}>
            {t("methods.remove")}
            <span className="visually-hidden"> {name}</span>
          </Button>
        )}
      </div>
      {error ? <Alert tone="error">{errorText(error, i18n)}</Alert> : null}
    </li>
  );
}

function AddSandboxCard() {
  const i18n = useI18n();
  const { t } = i18n;
  const { organizationId } = usePortal();
  const queryClient = useQueryClient();
  const [token, setToken] = useState("pm_sandbox_ok");
  const [makeDefault, setMakeDefault] = useState(true);
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/payment-methods", {
          params: { path: { orgId: organizationId } },
          body: { provider: "sandbox", token, default: makeDefault },
        }),
      ),
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: keys.paymentMethods(organizationId) }),
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate();
      }}
    >
      <Alert tone="info">{t("methods.testMode")}</Alert>
      <fieldset className="choices">
        <legend>{t("methods.addSandbox")}</legend>
        {sandboxCards.map((card) => (
          <label key={card.token}>
            <input
              type="radio"
              name="sandbox-card"
              value={card.token}
              checked={token === card.token}
              onChange={() => setToken(card.token)}
            />
            {t(card.label)}
          </label>
        ))}
      </fieldset>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={makeDefault}
          onChange={(event) => setMakeDefault(event.target.checked)}
        />
        {t("methods.makeDefault")}
      </label>
      <div className="actions">
        <Button type="submit" busy={add.isPending} data-testid="add-card">
          {t("methods.addButton")}
        </Button>
      </div>
      {add.isSuccess ? <Alert tone="success">{t("methods.added")}</Alert> : null}
      {add.error ? <Alert tone="error">{errorText(add.error, i18n)}</Alert> : null}
    </form>
  );
}

/** The provider as its customers know it: "Stripe". */
const providerBrand = (provider: string) => provider.charAt(0).toUpperCase() + provider.slice(1);

/** Sends the customer to the provider's page (Stripe Checkout in setup mode) to enter a card. */
function AddCardOnProviderPage({ provider }: { provider: string }) {
  const i18n = useI18n();
  const { t, locale } = i18n;
  const { organizationId } = usePortal();
  const [makeDefault, setMakeDefault] = useState(true);
  const screen = `${window.location.origin}/portal/payment-methods`;
  const start = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/payment-methods/setup-sessions", {
          params: { path: { orgId: organizationId } },
          body: {
            provider: provider as "stripe",
            default: makeDefault,
            locale,
            successUrl: `${screen}?setup_session={CHECKOUT_SESSION_ID}&setup_provider=${provider}`,
            cancelUrl: `${screen}?setup_canceled=1`,
          },
        }),
      ),
    onSuccess: (session) => window.location.assign(session.url),
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        start.mutate();
      }}
    >
      <h3>{t(`checkout.provider.${provider}` as MessageKey)}</h3>
      <p>{t("methods.providerPage", { provider: providerBrand(provider) })}</p>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={makeDefault}
          onChange={(event) => setMakeDefault(event.target.checked)}
        />
        {t("methods.makeDefault")}
      </label>
      <div className="actions">
        <Button
          type="submit"
          busy={start.isPending || start.isSuccess}
          data-testid={`add-card-${provider}`}
        >
          {t("methods.addOnProviderPage")}
        </Button>
      </div>
      {start.error ? <Alert tone="error">{errorText(start.error, i18n)}</Alert> : null}
    </form>
  );
}

/**
 * Back from the provider's page: stores the card the session collected (the webhook may already have),
 * asking again for a few seconds while the provider has not marked the session complete, then says so.
 */
function SetupReturn() {
  const i18n = useI18n();
  const { t } = i18n;
  const { organizationId } = usePortal();
  const queryClient = useQueryClient();
  const { query } = useLocation();
  const sessionId = query.get("setup_session");
  const provider = query.get("setup_provider") ?? "stripe";
  const canceled = query.get("setup_canceled") !== null;
  const i18nNow = useRef(i18n);
  i18nNow.current = i18n;
  const [state, setState] = useState<
    | { status: "saving" }
    | { status: "saved"; name: string }
    | { status: "pending" }
    | { status: "failed"; message: string }
    | null
  >(sessionId ? { status: "saving" } : null);

  useEffect(() => {
    if (!sessionId) return;
    let stopped = false;
    const complete = async (attempt: number): Promise<void> => {
      try {
        const result = await unwrap(
          api.POST(
            "/v1/organizations/{orgId}/payment-methods/setup-sessions/{setupSessionId}/complete",
            {
              params: { path: { orgId: organizationId, setupSessionId: sessionId } },
              body: { provider: provider as "stripe" },
            },
          ),
        );
        if (stopped) return;
        if (result.paymentMethod) {
          setState({
            status: "saved",
            name: result.paymentMethod.description ?? result.paymentMethod.provider,
          });
          await queryClient.invalidateQueries({ queryKey: keys.paymentMethods(organizationId) });
          navigate("/portal/payment-methods", { replace: true });
        } else if (result.status === "open" && attempt < 5) {
          setTimeout(() => void complete(attempt + 1), 1000);
        } else {
          setState({ status: "pending" });
        }
      } catch (error) {
        if (!stopped) setState({ status: "failed", message: errorText(error, i18nNow.current) });
      }
    };
    void complete(0);
    return () => {
      stopped = true;
    };
  }, [sessionId, provider, organizationId, queryClient]);

  if (canceled && !state) return <Alert testId="setup-result">{t("methods.setupCanceled")}</Alert>;
  if (!state) return null;
  switch (state.status) {
    case "saving":
      return <Alert testId="setup-result">{t("methods.setupSaving")}</Alert>;
    case "saved":
      return (
        <Alert tone="success" testId="setup-result">
          {t("methods.setupSaved", { name: state.name })}
        </Alert>
      );
    case "pending":
      return <Alert testId="setup-result">{t("methods.setupPending")}</Alert>;
    case "failed":
      return (
        <Alert tone="error" testId="setup-result">
          {state.message}
        </Alert>
      );
  }
}
