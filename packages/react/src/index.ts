export {
  type EntitlementSnapshot,
  EntitlementStore,
  type EntitlementStoreOptions,
} from "./entitlement-store.js";
export { type FeatureState, featureState, usageLevel } from "./feature-state.js";
export { formatMoney } from "./format-money.js";
export { IntervalToggle } from "./interval-toggle.js";
export {
  type AbonoLocale,
  type AbonoMessageKey,
  type AbonoMessages,
  type AbonoPluralKey,
  abonoMessages,
  pluralKey,
} from "./messages.js";
export { Paywall, type PaywallProps } from "./paywall.js";
export { PlanCards, type PlanCardsProps, priceFor } from "./plan-cards.js";
export {
  type CatalogPlan,
  type PlanChoice,
  PricingTable,
  type PricingTableProps,
} from "./pricing-table.js";
export {
  type AbonoContextValue,
  AbonoProvider,
  type AbonoProviderProps,
  type AbonoTheme,
  useAbono,
} from "./provider.js";
export { abonoStyles } from "./styles.js";
export type {
  Entitlement,
  FeatureInfo,
  Interval,
  PlanPrice,
  PricingPlan,
  PublicCatalog,
} from "./types.js";
export { UsageMeter, type UsageMeterProps } from "./usage-meter.js";
export {
  type EntitlementResult,
  type EntitlementsResult,
  useEntitlement,
  useEntitlements,
} from "./use-entitlement.js";
