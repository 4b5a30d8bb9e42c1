import { LoadError, Loading } from "../components/loading.tsx";
import { browserLocale, I18nProvider, storedLocale } from "../i18n/i18n.tsx";
import { markBackofficeRequests, useOperator } from "./admin-session.ts";
import { AdminShell } from "./components/admin-shell.tsx";
import { AuditTrail } from "./screens/audit-trail.tsx";
import { Dashboard } from "./screens/dashboard.tsx";
import { OrganizationDetail } from "./screens/organization-detail.tsx";
import { Organizations } from "./screens/organizations.tsx";
import { PaymentsAndWebhooks } from "./screens/payments-webhooks.tsx";
import { PlanSettings } from "./screens/plan-settings.tsx";
import { SignIn } from "./screens/sign-in.tsx";
import { TestClocks } from "./screens/test-clocks.tsx";
import "./admin.css";

function Screen({ path }: { path: string }) {
  const organization = /^\/admin\/organizations\/([^/]+)$/.exec(path)?.[1];
  if (organization !== undefined) {
    return <OrganizationDetail organizationId={decodeURIComponent(organization)} />;
  }
  if (path.startsWith("/admin/plans")) return <PlanSettings />;
  if (path.startsWith("/admin/audit")) return <AuditTrail />;
  if (path.startsWith("/admin/organizations")) return <Organizations />;
  if (path.startsWith("/admin/test-clocks")) return <TestClocks />;
  if (path.startsWith("/admin/payments")) return <PaymentsAndWebhooks />;
  return <Dashboard />;
}

function Backoffice({ path }: { path: string }) {
  const operator = useOperator();
  if (operator.isPending || operator.error) {
    return (
      <main id="main" className="standalone">
        {operator.error ? (
          <LoadError error={operator.error} retry={() => operator.refetch()} />
        ) : (
          <Loading />
        )}
      </main>
    );
  }
  if (!operator.data) return <SignIn />;
  return (
    <AdminShell operator={operator.data}>
      <Screen path={path} />
    </AdminShell>
  );
}

/** The operator backoffice (docs/backoffice.md): the /admin area of the web app. */
export function AdminApp({ path }: { path: string }) {
  markBackofficeRequests();
  return (
    <I18nProvider initial={storedLocale() ?? browserLocale()}>
      <Backoffice path={path} />
    </I18nProvider>
  );
}
