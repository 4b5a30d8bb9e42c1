import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import { organizations } from "./organizations.ts";

/**
 * Usage and grants. A counter row per (organization, feature, period): metered features count per billing
 * period (and reset with it), limit features keep one live counter (period `1970-01-01`). Usage events are
 * kept by `eventId` so a repeated event counts once. Grants are purchased units (packs), consumed after the
 * period's allowance, oldest expiry first.
 */

const at = (name: string) => timestamp(name, { withTimezone: true });

export const usageCounters = pgTable(
  "usage_counters",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    featureKey: text("feature_key").notNull(),
    periodStart: at("period_start").notNull(),
    used: bigint("used", { mode: "bigint" }).notNull().default(sql`0`),
    /** Units taken from purchased grants this period. */
    usedPurchased: bigint("used_purchased", { mode: "bigint" }).notNull().default(sql`0`),
    /** Units beyond every allowance, billed in arrears at the plan's overage price. */
    overage: bigint("overage", { mode: "bigint" }).notNull().default(sql`0`),
    overageBilled: bigint("overage_billed", { mode: "bigint" }).notNull().default(sql`0`),
    /**
     * Bumped by a trigger whenever `used`, `used_purchased` or `overage` change, and sent with the change
     * notification: an in-process cache applies a notified value only when it is newer than what it holds.
     */
    revision: bigint("revision", { mode: "number" }).notNull().default(0),
    updatedAt: at("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.featureKey, table.periodStart] }),
    check("usage_counters_not_negative", sql`${table.used} >= 0 and ${table.overage} >= 0`),
  ],
);

export const usageEvents = pgTable(
  "usage_events",
  {
    organizationId: text("organization_id").notNull(),
    eventId: text("event_id").notNull(),
    featureKey: text("feature_key").notNull(),
    quantity: bigint("quantity", { mode: "bigint" }).notNull(),
    occurredAt: at("occurred_at").notNull(),
    recordedAt: at("recorded_at").notNull(),
  },
  (table) => [
    // Partitioned by month of `recorded_at` (docs/data-growth.md "Usage events"): the migration that made
    // it so is hand-written, drizzle does not express partitions. A partitioned table's unique keys must
    // hold the partition key, so the dedup of `eventId` lives in `usage_event_ids` alone: no primary key
    // here, whose index every insert would maintain for nothing (no query looks an event up by its id).
    index("usage_events_feature_idx").on(table.organizationId, table.featureKey, table.occurredAt),
  ],
);

/**
 * One row per usage event kept, written in the same transaction as the event: the exact dedup of
 * `eventId` across the monthly partitions of `usage_events`. Pruned with the partition holding the event.
 */
export const usageEventIds = pgTable(
  "usage_event_ids",
  {
    organizationId: text("organization_id").notNull(),
    eventId: text("event_id").notNull(),
    /** The event's `recorded_at`: which partition of `usage_events` holds it. */
    recordedAt: at("recorded_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.eventId] })],
);

export const entitlementGrants = pgTable(
  "entitlement_grants",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    featureKey: text("feature_key").notNull(),
    quantity: bigint("quantity", { mode: "bigint" }).notNull(),
    remaining: bigint("remaining", { mode: "bigint" }).notNull(),
    /** The payment (or other source) that granted it: applying a grant twice is impossible. */
    source: text("source").notNull().unique(),
    expiresAt: at("expires_at"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    index("entitlement_grants_organization_idx").on(table.organizationId, table.featureKey),
    check(
      "entitlement_grants_remaining",
      sql`${table.remaining} >= 0 and ${table.remaining} <= ${table.quantity}`,
    ),
  ],
);

/** Root overrides of single features, optionally expiring: true/false, a limit, or null for unlimited. */
export const entitlementOverrides = pgTable(
  "entitlement_overrides",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    featureKey: text("feature_key").notNull(),
    value: jsonb("value").$type<boolean | number | null>(),
    reason: text("reason").notNull(),
    expiresAt: at("expires_at"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.featureKey] })],
);

/**
 * A version per organization, bumped by triggers whenever anything its entitlement is computed from
 * changes; in-process caches compare it on every check, so no process answers from a stale entitlement.
 */
export const entitlementVersions = pgTable("entitlement_versions", {
  organizationId: text("organization_id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull(),
});
