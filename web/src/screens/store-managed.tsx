import type { StoreSubscription } from "../api/types.ts";
import { ButtonLink } from "../components/button.tsx";
import { Card } from "../components/card.tsx";
import { useI18n } from "../i18n/i18n.tsx";

/** Where each store's customers manage their subscriptions. */
export const storeSubscriptionsUrl = {
  app_store: "https://apps.apple.com/account/subscriptions",
  google_play: "https://play.google.com/store/account/subscriptions",
} as const;

/**
 * What a plan, cancellation, add-on, checkout or payment-method screen shows when the organization's plan
 * is managed by the App Store or Google Play (the API refuses those changes): the store manages it, and
 * how to get there.
 */
export function StoreManaged({ subscription }: { subscription: StoreSubscription }) {
  const { t } = useI18n();
  const store = subscription.store === "app_store" ? "App Store" : "Google Play";
  return (
    <>
      <h1>{t("storeManaged.heading", { store })}</h1>
      <Card title={t("storeManaged.howTo")} titleId="store-managed-how">
        <div data-testid="store-managed-page">
          <p className="lead">{t("storeManaged.body", { store })}</p>
          <p>
            {subscription.store === "app_store"
              ? t("storeManaged.appleSteps")
              : t("storeManaged.googleSteps")}
          </p>
          <p>
            <a
              className="button button-primary"
              href={storeSubscriptionsUrl[subscription.store]}
              target="_blank"
              rel="noreferrer"
              data-testid="store-manage-link"
            >
              {t("storeManaged.open", { store })}
            </a>
          </p>
          <p className="muted">{t("storeManaged.packs")}</p>
          <ButtonLink to="/portal/" variant="secondary">
            {t("storeManaged.back")}
          </ButtonLink>
        </div>
      </Card>
    </>
  );
}
