import { LanguageSwitch } from "../components/language-switch.tsx";
import { useI18n } from "../i18n/i18n.tsx";

/** The portal opened without a session (or after it ended): how to get in. */
export function NoSession() {
  const { t } = useI18n();
  return (
    <div className="public-page">
      <header className="public-header">
        <LanguageSwitch />
      </header>
      <main id="main" className="standalone">
        <section className="card">
          <h1>{t("session.missingHeading")}</h1>
          <p data-testid="no-session">{t("session.missing")}</p>
        </section>
      </main>
    </div>
  );
}
