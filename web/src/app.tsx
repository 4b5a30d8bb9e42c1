import { useQuery } from "@tanstack/react-query";
import { PortalAbonoProvider } from "./abono-provider.tsx";
import { AdminApp } from "./admin/admin-app.tsx";
import { useLiveStoreSubscription } from "./api/queries.ts";
import { LoadError, Loading } from "./components/loading.tsx";
import { PortalShell } from "./components/portal-shell.tsx";
import { browserLocale, I18nProvider, storedLocale } from "./i18n/i18n.tsx";
import { loadPortal, type Portal, PortalProvider } from "./portal-context.tsx";
import { useLocation } from "./router.tsx";
import { Addons } from "./screens/addons.tsx";
import { BuyPacks } from "./screens/buy-packs.tsx";
import { CancelSubscription } from "./screens/cancel-subscription.tsx";
import { ChangePlan } from "./screens/change-plan.tsx";
import { Checkout } from "./screens/checkout.tsx";
import {
  CheckoutCanceled,
  CheckoutReturnWithoutSession,
  CheckoutSuccess,
} from "./screens/checkout-result.tsx";
import { Invoices } from "./screens/invoices.tsx";
import { NoSession } from "./screens/no-session.tsx";
import { Overview } from "./screens/overview.tsx";
import { PaymentMethods } from "./screens/payment-methods.tsx";
import { PlanReview } from "./screens/plan-review.tsx";
import { Pricing } from "./screens/pricing.tsx";
import { StoreManaged } from "./screens/store-managed.tsx";

const billingOnly = new Set([
  "/portal/packs",
  "/portal/addons",
  "/portal/invoices",
  "/portal/payment-methods",
  "/portal/checkout",
  "/portal/plans/review",
  "/portal/cancel",
]);

/** Screens that change or pay for the plan: an organization whose plan a store manages has none of them. */
const storeManagedElsewhere = new Set([
  "/portal/plans",
  "/portal/plans/review",
  "/portal/addons",
  "/portal/payment-methods",
  "/portal/checkout",
  "/portal/cancel",
]);

/**
 * The screen for a portal path; members get the overview where a screen needs a billing role, and an
 * organization on a store subscription a page saying where the store manages it instead of the plan and
 * payment screens.
 */
function Screen({ path, portal }: { path: string; portal: Portal }) {
  const target = !portal.canPay && billingOnly.has(path) ? "/portal" : path;
  const store = useLiveStoreSubscription();
  if (storeManagedElsewhere.has(target)) {
    if (store === undefined) return <Loading />;
    if (store) return <StoreManaged subscription={store} />;
  }
  switch (target) {
    case "/portal/plans":
      return <ChangePlan />;
    case "/portal/plans/review":
      return <PlanReview />;
    case "/portal/packs":
      return <BuyPacks />;
    case "/portal/addons":
      return <Addons />;
    case "/portal/invoices":
      return <Invoices />;
    case "/portal/payment-methods":
      return <PaymentMethods />;
    case "/portal/checkout":
      return <Checkout />;
    case "/portal/checkout/success":
    case "/checkout/success":
      return <CheckoutSuccess />;
    case "/portal/checkout/cancel":
    case "/checkout/cancel":
      return <CheckoutCanceled />;
    case "/portal/cancel":
      return <CancelSubscription />;
    default:
      return <Overview />;
  }
}

function PortalApp({ path }: { path: string }) {
  const portal = useQuery({ queryKey: ["portal"], queryFn: loadPortal, staleTime: Infinity });
  const fallbackLocale = storedLocale() ?? browserLocale();
  if (portal.isPending || portal.error) {
    return (
      <I18nProvider key="loading" initial={fallbackLocale}>
        <main id="main" className="standalone">
          {portal.error ? (
            <LoadError error={portal.error} retry={() => portal.refetch()} />
          ) : (
            <Loading />
          )}
        </main>
      </I18nProvider>
    );
  }
  if (!portal.data) {
    const returnPage = path.endsWith("/checkout/success") || path.endsWith("/checkout/cancel");
    return (
      <I18nProvider key="no-session" initial={fallbackLocale}>
        {returnPage ? (
          <CheckoutReturnWithoutSession canceled={path.endsWith("/cancel")} />
        ) : (
          <NoSession />
        )}
      </I18nProvider>
    );
  }
  return (
    // Keyed: the loading screen's provider (browser language) must not carry its state over.
    <I18nProvider key="portal" initial={storedLocale() ?? portal.data.locale}>
      <PortalProvider portal={portal.data}>
        <PortalAbonoProvider organizationId={portal.data.organizationId}>
          <PortalShell>
            <Screen path={path} portal={portal.data} />
          </PortalShell>
        </PortalAbonoProvider>
      </PortalProvider>
    </I18nProvider>
  );
}

export function App() {
  const { path } = useLocation();
  if (path === "/admin" || path.startsWith("/admin/")) return <AdminApp path={path} />;
  if (path === "/plans") {
    return (
      <I18nProvider initial={storedLocale() ?? browserLocale()}>
        <PortalAbonoProvider>
          <Pricing />
        </PortalAbonoProvider>
      </I18nProvider>
    );
  }
  return <PortalApp path={path} />;
}
