import type { Abono } from "@abono/client";

/** `GET /v1/organizations/{orgId}/entitlement`: the organization's effective entitlement. */
export type Entitlement = Awaited<ReturnType<Abono["entitlements"]["get"]>>;
/** `GET /v1/public/plans`: the plans on offer and the features they name. */
export type PublicCatalog = Awaited<ReturnType<Abono["plans"]["listPublic"]>>;

export type Interval = "month" | "year";

/** A plan as a pricing table shows it (the public catalog's and the authenticated catalog's plans fit). */
export interface PricingPlan {
  id: string;
  name: string;
  description?: string | null;
  prices: { interval: string; currency: string; unitAmount: number }[];
  trialDays?: number;
  features: Record<string, boolean | number | null>;
}

/** A feature as the catalog describes it, for naming a plan's values. */
export interface FeatureInfo {
  key: string;
  name: string;
  kind: "boolean" | "limit" | "metered";
}

/** The price of a plan for an interval, in minor units. */
export type PlanPrice = { interval: string; currency: string; unitAmount: number };
