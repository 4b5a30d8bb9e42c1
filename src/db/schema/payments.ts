import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { organizations } from "./organizations.ts";

/**
 * What arrives from payment providers and what Abono sends out because of it: checkouts, the raw inbound
 * events, refunds, emails and in-app notifications.
 */

const at = (name: string) => timestamp(name, { withTimezone: true });

export const checkoutStatuses = ["open", "completed", "failed", "canceled", "stale"] as const;
export type CheckoutStatus = (typeof checkoutStatuses)[number];

/**
 * A customer's purchase of a plan through a provider's hosted page (or directly, for a 100% coupon or a
 * free plan). The amount is quoted when the checkout starts; the payment success pipeline applies it.
 */
export const checkouts = pgTable(
  "checkouts",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    provider: text("provider").notNull(),
    planId: text("plan_id").notNull(),
    planVersion: integer("plan_version").notNull(),
    interval: text("interval", { enum: ["month", "year"] }).notNull(),
    couponCode: text("coupon_code"),
    currency: text("currency").notNull(),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    /** A plan change of a live subscription (`isUpgrade`), quoted at `quotedAt`. */
    isUpgrade: boolean("is_upgrade").notNull(),
    quotedAt: at("quoted_at").notNull(),
    /** The subscription and period the quote was computed from; a payment after they changed is stale. */
    basisSubscriptionId: text("basis_subscription_id"),
    basisPeriodEnd: at("basis_period_end"),
    providerCheckoutId: text("provider_checkout_id"),
    redirectUrl: text("redirect_url"),
    successUrl: text("success_url"),
    cancelUrl: text("cancel_url"),
    status: text("status", { enum: checkoutStatuses }).notNull(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    paymentId: text("payment_id"),
    subscriptionId: text("subscription_id"),
    invoiceId: text("invoice_id"),
    createdBy: text("created_by").notNull(),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
    completedAt: at("completed_at"),
  },
  (table) => [
    index("checkouts_organization_id_idx").on(table.organizationId, table.id),
    uniqueIndex("checkouts_provider_checkout_idx").on(table.provider, table.providerCheckoutId),
    check("checkouts_amount", sql`${table.amount} >= 0`),
  ],
);

/** Every inbound provider event, verified or not, stored raw as received. */
export const paymentEvents = pgTable(
  "payment_events",
  {
    id: text("id").primaryKey(),
    provider: text("provider").notNull(),
    providerEventId: text("provider_event_id"),
    eventType: text("event_type"),
    verified: boolean("verified").notNull(),
    verificationError: text("verification_error"),
    headers: jsonb("headers").$type<Record<string, string>>().notNull(),
    query: jsonb("query").$type<Record<string, string>>().notNull(),
    /** The body as received when verified; of an unverified request, its first bytes only. */
    body: text("body").notNull(),
    /** SHA-256 (hex) of the whole body as received, and its size in bytes. */
    bodySha256: text("body_sha256"),
    bodyBytes: integer("body_bytes"),
    /** What Abono did with it: `processed`, `duplicate`, `ignored: …`, `failed: …`. */
    outcome: text("outcome"),
    checkoutId: text("checkout_id"),
    paymentId: text("payment_id"),
    receivedAt: at("received_at").notNull(),
    processedAt: at("processed_at"),
  },
  (table) => [
    index("payment_events_provider_event_idx").on(table.provider, table.providerEventId),
    index("payment_events_received_idx").on(table.id),
  ],
);

/** Refunds of a payment, one row per amount refunded; the cumulative total is on the payment. */
export const refunds = pgTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id").notNull(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    provider: text("provider").notNull(),
    providerRefundId: text("provider_refund_id"),
    amount: bigint("amount", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    reason: text("reason"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    index("refunds_payment_id_idx").on(table.paymentId),
    uniqueIndex("refunds_provider_refund_idx").on(table.provider, table.providerRefundId),
    check("refunds_amount", sql`${table.amount} > 0`),
  ],
);

/**
 * Emails Abono sends (purchase confirmations…): rendered, then delivered over SMTP. In test mode this
 * table is the mailbox read by `GET /v1/mailbox`. `dedupeKey` makes a retried job send once.
 */
export const emails = pgTable(
  "emails",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id"),
    template: text("template").notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    locale: text("locale").notNull(),
    to: text("to").notNull(),
    from: text("from").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html").notNull(),
    status: text("status", { enum: ["queued", "sent", "failed"] }).notNull(),
    /** Files rendered when the email is sent (an invoice's PDF): `[{kind: "invoice_pdf", invoiceId}]`. */
    attachments: jsonb("attachments").$type<EmailAttachment[]>(),
    messageId: text("message_id"),
    error: text("error"),
    createdAt: at("created_at").notNull(),
    sentAt: at("sent_at"),
  },
  (table) => [index("emails_organization_id_idx").on(table.organizationId, table.id)],
);

/** A file an email carries, rendered when it is sent. */
export interface EmailAttachment {
  kind: "invoice_pdf";
  invoiceId: string;
}

/**
 * What an organization receives besides the essential messages (receipts, failed payments, the end of a
 * trial or a subscription, credit notes): the non-essential emails (usage at 80 % and 100 % of a limit).
 * No row: everything.
 */
export const messagePreferences = pgTable("message_preferences", {
  organizationId: text("organization_id")
    .primaryKey()
    .references(() => organizations.id),
  nonEssentialEmails: boolean("non_essential_emails").notNull(),
  updatedAt: at("updated_at").notNull(),
});

/** In-app notifications for the platform's operators (`admin`) and an organization's users (`user`). */
export const notifications = pgTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    audience: text("audience", { enum: ["admin", "user"] }).notNull(),
    organizationId: text("organization_id"),
    userId: text("user_id"),
    kind: text("kind").notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    locale: text("locale").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    data: jsonb("data"),
    createdAt: at("created_at").notNull(),
    readAt: at("read_at"),
  },
  (table) => [
    index("notifications_organization_id_idx").on(table.organizationId, table.id),
    index("notifications_audience_idx").on(table.audience, table.id),
  ],
);

/**
 * Per organization and billing provider, the provider's current record of it (customer id, last manual
 * change…): the organization's `billingProviders.<name>`.
 */
export const organizationBillingProviders = pgTable(
  "organization_billing_providers",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    provider: text("provider").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    updatedAt: at("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.organizationId, table.provider] }),
    // The backoffice's provider filter, and search by a provider's reference (any top-level value of
    // `data`, e.g. a customer id: `data @@ '$.* == "cus_…"'` through the GIN index).
    index("organization_billing_providers_provider_idx").on(table.provider, table.organizationId),
    index("organization_billing_providers_data_idx").using("gin", table.data),
  ],
);
