import { type ReactNode, useId } from "react";
import { useAbono } from "./provider.js";
import { useEntitlement } from "./use-entitlement.js";

export interface PaywallProps {
  /** The feature the children need. */
  feature: string;
  /** Shown instead of the children when the organization is not entitled (default: an upgrade prompt). */
  fallback?: ReactNode;
  /** The feature's name in the prompt (default: the key). */
  featureName?: string;
  /** The prompt's link to the plans (checkout / change plan). */
  upgradeHref?: string;
  /** The prompt's call to action, when a plain link does not fit (a router's link, a button). */
  action?: ReactNode;
  /** Shown while the entitlement loads (default: nothing). */
  loading?: ReactNode;
  children?: ReactNode;
}

/**
 * Its children when the provider's organization is entitled to `feature` (a flag that is on, or a counted
 * feature with units left); otherwise `fallback`, or a localized prompt to upgrade.
 */
export function Paywall({
  feature,
  fallback,
  featureName = feature,
  upgradeHref,
  action,
  loading = null,
  children,
}: PaywallProps) {
  const { t } = useAbono();
  const state = useEntitlement(feature);
  const headingId = useId();
  if (state.loading) return <>{loading}</>;
  if (state.allowed) return <>{children}</>;
  if (fallback !== undefined) return <>{fallback}</>;
  return (
    <section className="abono-paywall" aria-labelledby={headingId} data-feature={feature}>
      <h3 id={headingId}>
        {t(state.counted ? "paywall.limitHeading" : "paywall.heading", { feature: featureName })}
      </h3>
      <p>
        {t(state.counted ? "paywall.limitBody" : "paywall.body", {
          feature: featureName,
        })}
      </p>
      {action ??
        (upgradeHref ? (
          <a className="abono-button" href={upgradeHref}>
            {t("paywall.action")}
          </a>
        ) : null)}
    </section>
  );
}
