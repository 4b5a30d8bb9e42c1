import type { FeatureValues } from "../db/schema/catalog.ts";
import type { Interval } from "../time/index.ts";

export type { FeatureValues };
export type FeatureKind = "boolean" | "limit" | "metered";

export interface Feature {
  key: string;
  name: string;
  kind: FeatureKind;
  unit: string | null;
  /** Percentages of the limit that publish `usage.threshold_reached`; null or absent: 80 and 100. */
  usageThresholds?: number[] | null;
  createdAt: Date;
}

export interface Price {
  interval: Interval;
  currency: string;
  unitAmount: bigint;
}

export interface OveragePrice {
  currency: string;
  unitAmount: bigint;
}

/** What an operator defines for a plan; each edit of it becomes a new version. */
export interface PlanDefinition {
  name: string;
  description: string | null;
  tier: number;
  trialDays: number;
  prices: Price[];
  features: FeatureValues;
  overage: Record<string, OveragePrice>;
}

/** A plan or add-on read at one of its versions (`versionedEntries`). */
interface VersionedEntry {
  id: string;
  version: number;
  currentVersion: number;
  archivedAt: Date | null;
  createdAt: Date;
  versionCreatedAt: Date;
}

export interface Plan extends PlanDefinition, VersionedEntry {}

export interface AddonDefinition {
  name: string;
  description: string | null;
  prices: Price[];
  features: FeatureValues;
}

export interface Addon extends AddonDefinition, VersionedEntry {
  kind: "license" | "service";
}

export interface Pack {
  id: string;
  name: string;
  feature: string;
  quantity: bigint;
  price: { currency: string; unitAmount: bigint };
  expiresAfterDays: number | null;
  archivedAt: Date | null;
  createdAt: Date;
}

export interface Coupon {
  code: string;
  name: string | null;
  percentOff: number | null;
  amountOff: bigint | null;
  currency: string | null;
  duration: "once" | "repeating" | "forever";
  durationInMonths: number | null;
  maxRedemptions: number | null;
  timesRedeemed: number;
  expiresAt: Date | null;
  planIds: string[] | null;
  archivedAt: Date | null;
  createdAt: Date;
}
