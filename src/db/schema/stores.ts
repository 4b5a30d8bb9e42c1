import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { organizations } from "./organizations.ts";

/**
 * App Store and Google Play (docs/app-stores.md): the catalog's store product ids, the token that ties a
 * store purchase to an organization, each store subscription as the store last reported it, and the store
 * notifications already applied (each is applied once).
 */

const at = (name: string) => timestamp(name, { withTimezone: true });

export const stores = ["app_store", "google_play"] as const;
export type Store = (typeof stores)[number];

/**
 * The UUID an app passes to the store with a purchase: Apple's `appAccountToken` and Google's
 * `obfuscatedExternalAccountId`. One per organization, issued on first request.
 */
export const storeAccountTokens = pgTable("store_account_tokens", {
  organizationId: text("organization_id")
    .primaryKey()
    .references(() => organizations.id),
  token: uuid("token").notNull().unique(),
  createdAt: at("created_at").notNull(),
});

/**
 * A store product (Google: a subscription's base plan, or a one-time product) mapped to a plan or a pack.
 * `basePlanId` is `''` when the store has none (Apple, Google one-time products).
 */
export const storeProducts = pgTable(
  "store_products",
  {
    store: text("store", { enum: stores }).notNull(),
    productId: text("product_id").notNull(),
    basePlanId: text("base_plan_id").notNull().default(""),
    kind: text("kind", { enum: ["plan", "pack"] }).notNull(),
    targetId: text("target_id").notNull(),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.store, table.productId, table.basePlanId] }),
    index("store_products_target_idx").on(table.kind, table.targetId),
  ],
);

export const storeSubscriptionStatuses = [
  "trialing",
  "active",
  "past_due",
  "paused",
  "canceled",
  "expired",
  "revoked",
] as const;
export type StoreSubscriptionStatus = (typeof storeSubscriptionStatuses)[number];

/**
 * A store subscription (Apple: its original transaction id; Google: its purchase token) as the store last
 * reported it. `organizationId` is null while the purchase cannot be tied to an organization (it is then
 * reported to operators and applied once root links it).
 */
export const storeSubscriptions = pgTable(
  "store_subscriptions",
  {
    id: text("id").primaryKey(),
    store: text("store", { enum: stores }).notNull(),
    storeSubscriptionId: text("store_subscription_id").notNull(),
    organizationId: text("organization_id").references(() => organizations.id),
    accountToken: text("account_token"),
    productId: text("product_id").notNull(),
    basePlanId: text("base_plan_id").notNull().default(""),
    planId: text("plan_id"),
    status: text("status", { enum: storeSubscriptionStatuses }).notNull(),
    autoRenew: boolean("auto_renew").notNull(),
    currentPeriodStart: at("current_period_start"),
    expiresAt: at("expires_at"),
    trialEndsAt: at("trial_ends_at"),
    graceEndsAt: at("grace_ends_at"),
    environment: text("environment").notNull(),
    /** When the store signed the state applied last: an older notification never overwrites it. */
    storeStateAt: at("store_state_at").notNull(),
    /** The store's own fields, kept for operators (latest transaction, renewal info…). */
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("store_subscriptions_store_id_idx").on(table.store, table.storeSubscriptionId),
    index("store_subscriptions_organization_idx").on(table.organizationId),
    index("store_subscriptions_unlinked_idx")
      .on(table.createdAt)
      .where(sql`${table.organizationId} is null`),
  ],
);

/** Store notifications applied (Apple's `notificationUUID`, Google's Pub/Sub `messageId`): each once. */
export const storeNotifications = pgTable(
  "store_notifications",
  {
    store: text("store", { enum: stores }).notNull(),
    notificationId: text("notification_id").notNull(),
    notificationType: text("notification_type").notNull(),
    storeSubscriptionId: text("store_subscription_id"),
    outcome: text("outcome").notNull(),
    receivedAt: at("received_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.store, table.notificationId] }),
    check("store_notifications_id", sql`length(${table.notificationId}) > 0`),
  ],
);
