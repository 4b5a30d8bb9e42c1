import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  foreignKey,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * The catalog ("Plan Settings"). Plans and add-ons are versioned: a row in `*_versions` is never changed
 * once written; editing creates the next version and moves `current_version`, so subscriptions keep
 * pointing at the version they bought. Amounts are bigint minor units.
 */

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull();
const amount = (name: string) => bigint(name, { mode: "bigint" }).notNull();

/** A plan's or add-on's value per feature: boolean, a limit (null = unlimited) or an increment. */
export type FeatureValues = Record<string, boolean | number | null>;

export const features = pgTable(
  "features",
  {
    key: text("key").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["boolean", "limit", "metered"] }).notNull(),
    unit: text("unit"),
    /** Percentages of the limit at which `usage.threshold_reached` is published; null: 80 and 100. */
    usageThresholds: integer("usage_thresholds").array(),
    createdAt: createdAt(),
  },
  (table) => [check("features_kind", sql`${table.kind} in ('boolean', 'limit', 'metered')`)],
);

export const plans = pgTable("plans", {
  id: text("id").primaryKey(),
  currentVersion: integer("current_version").notNull(),
  archivedAt: timestamp("archived_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const planVersions = pgTable(
  "plan_versions",
  {
    planId: text("plan_id")
      .notNull()
      .references(() => plans.id),
    version: integer("version").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    tier: integer("tier").notNull(),
    trialDays: integer("trial_days").notNull(),
    features: jsonb("features").$type<FeatureValues>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.planId, table.version] }),
    check("plan_versions_trial_days", sql`${table.trialDays} >= 0`),
  ],
);

export const planPrices = pgTable(
  "plan_prices",
  {
    planId: text("plan_id").notNull(),
    version: integer("version").notNull(),
    interval: text("interval", { enum: ["month", "year"] }).notNull(),
    currency: text("currency").notNull(),
    unitAmount: amount("unit_amount"),
  },
  (table) => [
    primaryKey({ columns: [table.planId, table.version, table.interval, table.currency] }),
    foreignKey({
      columns: [table.planId, table.version],
      foreignColumns: [planVersions.planId, planVersions.version],
    }),
    check("plan_prices_unit_amount", sql`${table.unitAmount} >= 0`),
  ],
);

export const planOveragePrices = pgTable(
  "plan_overage_prices",
  {
    planId: text("plan_id").notNull(),
    version: integer("version").notNull(),
    featureKey: text("feature_key")
      .notNull()
      .references(() => features.key),
    currency: text("currency").notNull(),
    unitAmount: amount("unit_amount"),
  },
  (table) => [
    primaryKey({ columns: [table.planId, table.version, table.featureKey, table.currency] }),
    foreignKey({
      columns: [table.planId, table.version],
      foreignColumns: [planVersions.planId, planVersions.version],
    }),
    check("plan_overage_prices_unit_amount", sql`${table.unitAmount} >= 0`),
  ],
);

export const addons = pgTable("addons", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ["license", "service"] }).notNull(),
  currentVersion: integer("current_version").notNull(),
  archivedAt: timestamp("archived_at", { withTimezone: true }),
  createdAt: createdAt(),
});

export const addonVersions = pgTable(
  "addon_versions",
  {
    addonId: text("addon_id")
      .notNull()
      .references(() => addons.id),
    version: integer("version").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    features: jsonb("features").$type<FeatureValues>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.addonId, table.version] })],
);

export const addonPrices = pgTable(
  "addon_prices",
  {
    addonId: text("addon_id").notNull(),
    version: integer("version").notNull(),
    interval: text("interval", { enum: ["month", "year"] }).notNull(),
    currency: text("currency").notNull(),
    unitAmount: amount("unit_amount"),
  },
  (table) => [
    primaryKey({ columns: [table.addonId, table.version, table.interval, table.currency] }),
    foreignKey({
      columns: [table.addonId, table.version],
      foreignColumns: [addonVersions.addonId, addonVersions.version],
    }),
    check("addon_prices_unit_amount", sql`${table.unitAmount} >= 0`),
  ],
);

export const packs = pgTable(
  "packs",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    featureKey: text("feature_key")
      .notNull()
      .references(() => features.key),
    quantity: bigint("quantity", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    unitAmount: amount("unit_amount"),
    expiresAfterDays: integer("expires_after_days"),
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    check("packs_quantity", sql`${table.quantity} > 0`),
    check("packs_unit_amount", sql`${table.unitAmount} >= 0`),
    check(
      "packs_expires_after_days",
      sql`${table.expiresAfterDays} is null or ${table.expiresAfterDays} > 0`,
    ),
  ],
);

export const coupons = pgTable(
  "coupons",
  {
    code: text("code").primaryKey(),
    name: text("name"),
    percentOff: integer("percent_off"),
    amountOff: bigint("amount_off", { mode: "bigint" }),
    currency: text("currency"),
    duration: text("duration", { enum: ["once", "repeating", "forever"] }).notNull(),
    durationInMonths: integer("duration_in_months"),
    maxRedemptions: integer("max_redemptions"),
    timesRedeemed: integer("times_redeemed").notNull().default(0),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    planIds: text("plan_ids").array(),
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("coupons_code_upper_idx").on(sql`upper(${table.code})`),
    check(
      "coupons_discount",
      sql`(${table.percentOff} between 1 and 100 and ${table.amountOff} is null and ${table.currency} is null)
        or (${table.percentOff} is null and ${table.amountOff} > 0 and ${table.currency} is not null)`,
    ),
    check(
      "coupons_duration",
      sql`(${table.duration} = 'repeating') = (${table.durationInMonths} is not null)`,
    ),
    check(
      "coupons_redemptions",
      sql`${table.maxRedemptions} is null or ${table.timesRedeemed} <= ${table.maxRedemptions}`,
    ),
  ],
);
