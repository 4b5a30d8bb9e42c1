import { type ReactNode, useId } from "react";
import { usageLevel } from "./feature-state.js";
import { useAbono } from "./provider.js";
import { useEntitlement } from "./use-entitlement.js";

export interface UsageMeterProps {
  /** The feature's key (a limit or metered feature). */
  feature: string;
  /** Its name as the customer knows it (default: the key). */
  label?: string;
  /** From this share of the limit the meter shows "close to the limit" (default 0.8). */
  nearRatio?: number;
  /** More under the numbers (a reset date, a link to buy more). */
  children?: ReactNode;
}

/**
 * Used / limit of one feature for the provider's organization, with a bar: near the limit (from 80 %) and
 * over it are shown in words and color; an unlimited feature says so and has no bar.
 */
export function UsageMeter({ feature, label = feature, nearRatio, children }: UsageMeterProps) {
  const { t, plural, number } = useAbono();
  const state = useEntitlement(feature);
  const nameId = useId();
  if (state.loading) {
    return (
      <div className="abono-meter" aria-busy="true">
        <span className="abono-meter-name">{label}</span>{" "}
        <span className="abono-muted">{t("loading")}</span>
      </div>
    );
  }
  const { used, limit, remaining } = state;
  const level = usageLevel(used, limit, nearRatio);
  const ratio = limit === null ? 0 : limit > 0 ? Math.min(used / limit, 1) : 1;
  return (
    <div className={`abono-meter abono-meter-${level}`} data-feature={feature}>
      <div className="abono-meter-head">
        <span className="abono-meter-name" id={nameId}>
          {label}
        </span>
        <span className="abono-meter-numbers">
          {limit === null
            ? t("usage.usedUnlimited", { used: number(used) })
            : t("usage.used", { used: number(used), limit: number(limit) })}
        </span>
      </div>
      {limit !== null ? (
        // A styled bar: the native <meter> cannot be styled alike across browsers; the role gives its meaning.
        // biome-ignore lint/a11y/useSemanticElements: see above
        <div
          className="abono-meter-bar"
          role="meter"
          aria-valuemin={0}
          aria-valuemax={limit}
          aria-valuenow={Math.min(used, limit)}
          aria-valuetext={t("usage.used", { used: number(used), limit: number(limit) })}
          aria-label={t("usage.bar", { name: label, used: number(used), limit: number(limit) })}
        >
          <div className="abono-meter-fill" style={{ width: `${ratio * 100}%` }} />
        </div>
      ) : null}
      <div className="abono-meter-foot">
        {level === "over" || level === "near" ? (
          <span className={`abono-meter-status abono-meter-status-${level}`}>
            {t(level === "over" ? "usage.overLimit" : "usage.nearLimit")}
          </span>
        ) : null}
        {remaining !== null ? (
          <span data-testid={`remaining-${feature}`}>
            {plural("usage.remaining", remaining, { remaining: number(remaining) })}
          </span>
        ) : null}
        {children}
      </div>
    </div>
  );
}
