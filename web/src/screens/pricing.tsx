import { PricingTable } from "@abono/react";
import { LanguageSwitch } from "../components/language-switch.tsx";
import { useI18n } from "../i18n/i18n.tsx";

/**
 * The public pricing page (/plans): `@abono/react`'s `<PricingTable>` over the plans on offer, no sign-in,
 * embeddable in an iframe. Choosing a paid plan goes to the portal's checkout, which a signed-in customer
 * (portal session) completes.
 */
export function Pricing() {
  const { t } = useI18n();
  return (
    <div className="public-page">
      <header className="public-header">
        <LanguageSwitch />
      </header>
      <main id="main">
        <h1>{t("pricing.heading")}</h1>
        <PricingTable
          intro={<p className="lead">{t("pricing.intro")}</p>}
          checkoutHref={(plan, { interval, price }) =>
            price.unitAmount > 0
              ? `/portal/checkout?plan=${encodeURIComponent(plan.id)}&interval=${interval}`
              : null
          }
        />
        <p className="muted center pricing-contact" data-testid="pricing-contact">
          {t("pricing.contact")}
        </p>
      </main>
    </div>
  );
}
