import { useMutation } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { api, unwrap } from "../../api/client.ts";
import { LanguageSwitch } from "../../components/language-switch.tsx";
import { Link, useLocation } from "../../router.tsx";
import type { AdminMessageKey } from "../admin-messages.ts";
import type { Operator } from "../admin-session.ts";
import { useSignedIn } from "../admin-session.ts";
import { useAdminText } from "../admin-text.ts";

const sections: { path: string; label: AdminMessageKey; testMode?: true }[] = [
  { path: "/admin/dashboard", label: "admin.nav.dashboard" },
  { path: "/admin/organizations", label: "admin.nav.organizations" },
  { path: "/admin/plans", label: "admin.nav.plans" },
  { path: "/admin/audit", label: "admin.nav.audit" },
  { path: "/admin/payments", label: "admin.nav.payments" },
  { path: "/admin/test-clocks", label: "admin.nav.clocks", testMode: true },
];

/** The backoffice's frame: who is signed in, the test-mode banner, the sections, then the screen. */
export function AdminShell({ operator, children }: { operator: Operator; children: ReactNode }) {
  const { t } = useAdminText();
  const { path } = useLocation();
  const signedIn = useSignedIn();
  const signOut = useMutation({
    mutationFn: () => unwrap(api.DELETE("/v1/admin-session")),
    onSettled: () => signedIn(null),
  });
  return (
    <div className="shell admin">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {operator.testMode ? (
        <p className="test-banner" data-testid="test-mode">
          {t("admin.testMode")}
        </p>
      ) : null}
      <header className="topbar">
        <div className="topbar-inner">
          <div className="identity">
            <p className="organization">{t("admin.title")}</p>
            <p className="product" data-testid="operator">
              {t("admin.signedInAs", { actor: operator.email ?? operator.actor })}
            </p>
          </div>
          <div className="topbar-tools">
            <LanguageSwitch />
            <button
              type="button"
              className="link-button"
              onClick={() => signOut.mutate()}
              disabled={signOut.isPending}
            >
              {t("admin.signOut")}
            </button>
          </div>
        </div>
        <nav aria-label={t("admin.nav")} className="sections">
          <ul>
            {sections
              .filter((section) => operator.testMode || !section.testMode)
              .map((section) => (
                <li key={section.path}>
                  <Link
                    to={section.path}
                    aria-current={
                      path.startsWith(section.path) ||
                      (path === "/admin" && section.path === "/admin/dashboard")
                        ? "page"
                        : undefined
                    }
                  >
                    {t(section.label)}
                  </Link>
                </li>
              ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
