import { useMutation } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { api, unwrap } from "../api/client.ts";
import { useLiveStoreSubscription } from "../api/queries.ts";
import { clearFlash, useFlash } from "../flash.ts";
import { useI18n } from "../i18n/i18n.tsx";
import type { MessageKey } from "../i18n/messages.ts";
import { usePortal } from "../portal-context.tsx";
import { Link, useLocation } from "../router.tsx";
import { Alert } from "./alert.tsx";
import { BalanceChip } from "./balance-chip.tsx";
import { LanguageSwitch } from "./language-switch.tsx";

/** `storeManaged`: not offered while a store (App Store, Google Play) manages the plan. */
const sections: { path: string; label: MessageKey; billingOnly: boolean; storeManaged: boolean }[] =
  [
    { path: "/portal", label: "nav.overview", billingOnly: false, storeManaged: false },
    { path: "/portal/plans", label: "nav.plans", billingOnly: false, storeManaged: true },
    { path: "/portal/packs", label: "nav.packs", billingOnly: true, storeManaged: false },
    { path: "/portal/addons", label: "nav.addons", billingOnly: true, storeManaged: true },
    { path: "/portal/invoices", label: "nav.invoices", billingOnly: true, storeManaged: false },
    {
      path: "/portal/payment-methods",
      label: "nav.paymentMethods",
      billingOnly: true,
      storeManaged: true,
    },
  ];

/** The portal's frame: organization and balance on top, the sections, then the screen. */
export function PortalShell({ children }: { children: ReactNode }) {
  const i18n = useI18n();
  const { t } = i18n;
  const portal = usePortal();
  const store = useLiveStoreSubscription();
  const { path } = useLocation();
  const message = useFlash(path);
  const signOut = useMutation({
    mutationFn: () => unwrap(api.DELETE("/v1/portal-session")),
    onSettled: () => {
      window.location.assign(portal.returnUrl ?? "/portal/");
    },
  });
  const current = (section: string) =>
    section === "/portal" ? path === "/portal" : path === section || path.startsWith(`${section}/`);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t("app.skip")}
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <div className="identity">
            {portal.returnUrl ? (
              <a className="back-link" href={portal.returnUrl}>
                ← {t("app.backDefault")}
              </a>
            ) : null}
            <p className="organization" data-testid="organization">
              {portal.organizationName}
            </p>
            <p className="product">{t("app.title")}</p>
          </div>
          <div className="topbar-tools">
            {portal.canPay ? <BalanceChip /> : null}
            <LanguageSwitch />
            {portal.mode === "session" ? (
              <button
                type="button"
                className="link-button"
                onClick={() => signOut.mutate()}
                disabled={signOut.isPending}
              >
                {t("app.signOut")}
              </button>
            ) : null}
          </div>
        </div>
        <nav aria-label={t("nav.label")} className="sections">
          <ul>
            {sections
              .filter((section) => portal.canPay || !section.billingOnly)
              .filter((section) => !(store && section.storeManaged))
              .map((section) => (
                <li key={section.path}>
                  <Link
                    to={section.path === "/portal" ? "/portal/" : section.path}
                    aria-current={current(section.path) ? "page" : undefined}
                  >
                    {t(section.label)}
                  </Link>
                </li>
              ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {!portal.canPay ? <Alert tone="info">{t("app.readOnly")}</Alert> : null}
        {message ? (
          <div className="flash">
            <Alert tone={message.tone} testId="flash">
              <span>{message.text(i18n)}</span>
              <button type="button" className="link-button" onClick={clearFlash}>
                {t("app.close")}
              </button>
            </Alert>
          </div>
        ) : null}
        {children}
      </main>
    </div>
  );
}
