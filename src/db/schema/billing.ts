import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { InvoiceCustomerDetails, InvoiceIssuerDetails } from "./billing-details.ts";
import { organizations } from "./organizations.ts";

/**
 * Subscriptions, invoices, payments and the credit balance. Amounts are bigint minor units in the
 * organization's currency. The balance ledger and the audit log are append-only (enforced by triggers in
 * the migrations).
 */

const at = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: "bigint" }).notNull();

export const subscriptionStatuses = [
  "incomplete",
  "trialing",
  "active",
  "past_due",
  "canceled",
  "expired",
] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

export type FounderBenefit =
  | { kind: "discount"; percentOff: number; seat: number }
  | { kind: "price_lock"; planVersion: number; seat: number };

export interface ScheduledChange {
  planId: string;
  interval: "month" | "year";
  effectiveAt: string;
}

export const paymentMethods = pgTable(
  "payment_methods",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    provider: text("provider").notNull(),
    token: text("token").notNull(),
    isDefault: boolean("is_default").notNull(),
    description: text("description"),
    createdAt: at("created_at").notNull(),
    detachedAt: at("detached_at"),
  },
  (table) => [
    uniqueIndex("payment_methods_one_default_idx")
      .on(table.organizationId)
      .where(sql`${table.isDefault} and ${table.detachedAt} is null`),
  ],
);

export const subscriptions = pgTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    planId: text("plan_id").notNull(),
    planVersion: integer("plan_version").notNull(),
    interval: text("interval", { enum: ["month", "year"] }).notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: subscriptionStatuses }).notNull(),
    /** The instant periods are counted from; reset by interval changes. */
    anchorAt: at("anchor_at").notNull(),
    currentPeriodStart: at("current_period_start").notNull(),
    currentPeriodEnd: at("current_period_end").notNull(),
    trialEndsAt: at("trial_ends_at"),
    cancelAtPeriodEnd: boolean("cancel_at_period_end").notNull().default(false),
    canceledAt: at("canceled_at"),
    endedAt: at("ended_at"),
    couponCode: text("coupon_code"),
    couponRedeemedAt: at("coupon_redeemed_at"),
    scheduledChange: jsonb("scheduled_change").$type<ScheduledChange>(),
    /** Dunning: when the first renewal payment failed, how many attempts were made, when the next is due. */
    pastDueSince: at("past_due_since"),
    paymentAttempts: integer("payment_attempts").notNull().default(0),
    nextPaymentAttemptAt: at("next_payment_attempt_at"),
    /**
     * A renewal that failed for a reason a retry will not fix by itself (not a decline: those go to
     * dunning): when it first failed, why, how many attempts so far, and when the scheduler tries again
     * (exponential backoff). Cleared by the renewal that succeeds.
     */
    renewalFailedAt: at("renewal_failed_at"),
    renewalError: text("renewal_error"),
    renewalAttempts: integer("renewal_attempts").notNull().default(0),
    nextRenewalAttemptAt: at("next_renewal_attempt_at"),
    /** Annual subscriptions end here (one year after they start) instead of renewing. */
    endsAt: at("ends_at"),
    founderBenefit: jsonb("founder_benefit").$type<FounderBenefit>(),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("subscriptions_one_live_idx")
      .on(table.organizationId)
      .where(sql`${table.status} in ('incomplete', 'trialing', 'active', 'past_due')`),
    index("subscriptions_current_period_end_idx")
      .on(table.currentPeriodEnd)
      .where(sql`${table.status} in ('trialing', 'active', 'past_due')`),
    index("subscriptions_next_payment_attempt_at_idx")
      .on(table.nextPaymentAttemptAt)
      .where(sql`${table.status} = 'past_due'`),
  ],
);

export const subscriptionItems = pgTable(
  "subscription_items",
  {
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id),
    /** The subscription's organization: the distribution key (docs/scaling.md "Past one PostgreSQL"). */
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    addonId: text("addon_id").notNull(),
    addonVersion: integer("addon_version").notNull(),
    quantity: bigint("quantity", { mode: "bigint" }).notNull(),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
  },
  (table) => [
    // The key carries the organization, last so that reads by subscription id keep using it.
    primaryKey({ columns: [table.subscriptionId, table.addonId, table.organizationId] }),
    check("subscription_items_quantity", sql`${table.quantity} > 0`),
  ],
);

/** Prorated charges and credits waiting for the next subscription invoice (add-on changes mid-period). */
export const pendingItems = pgTable(
  "pending_items",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    subscriptionId: text("subscription_id").references(() => subscriptions.id),
    description: text("description").notNull(),
    amount: amount("amount"),
    currency: text("currency").notNull(),
    /** The coupon discount the prorated charge carries (docs/billing.md "Coupons and prorated lines"). */
    discount: amount("discount").default(sql`0`),
    addonId: text("addon_id"),
    quantity: bigint("quantity", { mode: "bigint" }),
    periodStart: at("period_start").notNull(),
    periodEnd: at("period_end").notNull(),
    invoiceId: text("invoice_id"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    index("pending_items_unbilled_idx")
      .on(table.organizationId)
      .where(sql`${table.invoiceId} is null`),
    /** The add-ons' prorated items of a subscription's current period (`loadPeriodCharges`). */
    index("pending_items_subscription_period_idx").on(table.subscriptionId, table.periodEnd),
  ],
);

export const invoiceKinds = ["subscription", "one_off", "settlement"] as const;
/**
 * What a finalized document is: an `invoice` (what the customer owes) or a `credit_note` (a credit the
 * customer receives: a total below zero, numbered in its own sequence; docs/billing.md "Credit notes").
 */
export const documentTypes = ["invoice", "credit_note"] as const;
export type DocumentType = (typeof documentTypes)[number];
/** Where a credit note's money went: the credit balance, or back to the customer's payment method. */
export const creditDestinations = ["balance", "payment_method"] as const;
export type CreditDestination = (typeof creditDestinations)[number];
export const invoiceStatuses = ["draft", "open", "paid", "void", "uncollectible"] as const;

export const invoices = pgTable(
  "invoices",
  {
    id: text("id").primaryKey(),
    number: text("number").unique(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    subscriptionId: text("subscription_id"),
    kind: text("kind", { enum: invoiceKinds }).notNull(),
    documentType: text("document_type", { enum: documentTypes }).notNull().default("invoice"),
    status: text("status", { enum: invoiceStatuses }).notNull(),
    billingReason: text("billing_reason").notNull(),
    currency: text("currency").notNull(),
    locale: text("locale").notNull(),
    subtotal: amount("subtotal"),
    discount: amount("discount"),
    /** The sum of the lines' taxes (docs/billing.md "Taxes"). */
    tax: amount("tax").default(sql`0`),
    /** The part of `tax` already inside the prices (tax-inclusive rates); the rest is added to the total. */
    taxIncluded: amount("tax_included").default(sql`0`),
    total: amount("total"),
    balanceApplied: amount("balance_applied"),
    creditedToBalance: amount("credited_to_balance"),
    amountDue: amount("amount_due"),
    amountPaid: amount("amount_paid"),
    /** Refunded through the provider after payment (money back to the customer, not to the balance). */
    amountRefunded: amount("amount_refunded").default(sql`0`),
    couponCode: text("coupon_code"),
    /** A credit note: the invoices it corrects (the ones whose lines it reverses). Empty on invoices. */
    correctsInvoiceIds: text("corrects_invoice_ids").array().notNull().default(sql`'{}'::text[]`),
    /** A credit note: where its credit went (the balance, or refunded to the payment method). */
    creditedTo: text("credited_to", { enum: creditDestinations }),
    /** A refund's credit note: why root refunded. */
    reason: text("reason"),
    /** The customer is liable for the tax (reverse charge): no tax, and the invoice says so. */
    reverseCharge: boolean("reverse_charge").notNull().default(false),
    /** Who the invoice was issued to and by, as they were when it was finalized. Null on older invoices. */
    customerDetails: jsonb("customer_details").$type<InvoiceCustomerDetails>(),
    issuerDetails: jsonb("issuer_details").$type<InvoiceIssuerDetails>(),
    periodStart: at("period_start"),
    periodEnd: at("period_end"),
    /** A renewal is created once per (subscription, period): a retried billing run finds it. */
    periodKey: text("period_key"),
    createdAt: at("created_at").notNull(),
    finalizedAt: at("finalized_at"),
    paidAt: at("paid_at"),
    voidedAt: at("voided_at"),
  },
  (table) => [
    index("invoices_organization_id_idx").on(table.organizationId, table.id),
    index("invoices_organization_document_idx").on(
      table.organizationId,
      table.documentType,
      table.id,
    ),
    uniqueIndex("invoices_period_key_idx").on(table.periodKey),
    check(
      "invoices_amounts_not_negative",
      sql`${table.balanceApplied} >= 0 and ${table.creditedToBalance} >= 0 and ${table.amountDue} >= 0 and ${table.discount} >= 0`,
    ),
    check(
      "invoices_total",
      sql`${table.total} = ${table.subtotal} - ${table.discount} + ${table.tax} - ${table.taxIncluded}`,
    ),
  ],
);

export const invoiceLines = pgTable(
  "invoice_lines",
  {
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id),
    /** The invoice's organization: the distribution key (docs/scaling.md "Past one PostgreSQL"). */
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    position: integer("position").notNull(),
    kind: text("kind").notNull(),
    description: text("description").notNull(),
    amount: amount("amount"),
    /**
     * The part of the invoice's discount on this line: `amount − discount` is what the line actually
     * charged, which its unused time is later valued at.
     */
    discount: amount("discount").default(sql`0`),
    /** The add-on a line charges or credits (null for the plan and other lines). */
    addonId: text("addon_id"),
    quantity: bigint("quantity", { mode: "bigint" }),
    unitAmount: bigint("unit_amount", { mode: "bigint" }),
    proration: boolean("proration").notNull(),
    periodStart: at("period_start"),
    periodEnd: at("period_end"),
    /**
     * The line's tax (docs/billing.md "Taxes"): computed on `taxable_amount` (the amount after its share
     * of the discount) at `tax_percentage`, added to the price or, when `tax_inclusive`, inside it. The
     * rate is copied onto the line so that a later correction reverses exactly this tax. Null rate: untaxed.
     */
    taxableAmount: bigint("taxable_amount", { mode: "bigint" }),
    taxAmount: amount("tax_amount").default(sql`0`),
    taxRateId: text("tax_rate_id"),
    taxName: text("tax_name"),
    taxPercentage: numeric("tax_percentage", { precision: 7, scale: 4 }),
    taxInclusive: boolean("tax_inclusive"),
  },
  // The key carries the organization, last so that reads by invoice id keep using it.
  (table) => [primaryKey({ columns: [table.invoiceId, table.position, table.organizationId] })],
);

/** Gapless invoice numbers per issuer: the counter moves inside the finalizing transaction. */
export const invoiceNumberSequences = pgTable("invoice_number_sequences", {
  issuer: text("issuer").primaryKey(),
  lastNumber: bigint("last_number", { mode: "number" }).notNull(),
});

export const payments = pgTable(
  "payments",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    invoiceId: text("invoice_id").references(() => invoices.id),
    paymentMethodId: text("payment_method_id"),
    provider: text("provider").notNull(),
    providerPaymentId: text("provider_payment_id"),
    amount: amount("amount"),
    currency: text("currency").notNull(),
    status: text("status", { enum: ["succeeded", "failed", "refunded"] }).notNull(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    amountRefunded: amount("amount_refunded").default(sql`0`),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("payments_provider_payment_idx").on(table.provider, table.providerPaymentId),
    index("payments_invoice_id_idx").on(table.invoiceId),
    // The dashboard's payments by month (revenue by provider, failed payments).
    index("payments_created_at_idx").on(table.createdAt),
  ],
);

export const balanceTransactionTypes = [
  "proration_credit",
  "applied_to_invoice",
  "adjustment",
  "refund_to_balance",
  "payout",
  "reversal",
] as const;

export const balanceTransactions = pgTable(
  "balance_transactions",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    amount: amount("amount"),
    currency: text("currency").notNull(),
    type: text("type", { enum: balanceTransactionTypes }).notNull(),
    invoiceId: text("invoice_id"),
    description: text("description").notNull(),
    actor: text("actor"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [index("balance_transactions_organization_id_idx").on(table.organizationId, table.id)],
);

export const couponRedemptions = pgTable(
  "coupon_redemptions",
  {
    couponCode: text("coupon_code").notNull(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    subscriptionId: text("subscription_id"),
    redeemedAt: at("redeemed_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.couponCode, table.organizationId] })],
);

export const auditLogs = pgTable(
  "audit_logs",
  {
    id: text("id").primaryKey(),
    action: text("action").notNull(),
    actor: text("actor").notNull(),
    organizationId: text("organization_id"),
    reason: text("reason"),
    before: jsonb("before"),
    after: jsonb("after"),
    metadata: jsonb("metadata"),
    requestId: text("request_id"),
    /** The caller's own `X-Request-Id`, validated (1–128 safe characters); Abono's id is `request_id`. */
    clientRequestId: text("client_request_id"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    index("audit_logs_organization_id_idx").on(table.organizationId, table.id),
    index("audit_logs_action_idx").on(table.action, table.id),
    index("audit_logs_actor_idx").on(table.actor, table.id),
  ],
);

/**
 * The audit trail's hash chain: one link per audit entry, in commit order, written by a database trigger
 * at the commit of the transaction that inserted the entry (migration 0012). `hash` is SHA-256 over the
 * link's fields, the entry's fields and `prevHash` (format 1: see src/audit/audit-chain-hash.ts);
 * `abono audit verify` recomputes the chain. Append-only like `audit_logs`.
 */
export const auditChain = pgTable("audit_chain", {
  seq: bigint("seq", { mode: "bigint" }).primaryKey(),
  auditId: text("audit_id").notNull().unique(),
  format: integer("format").notNull(),
  prevHash: text("prev_hash").notNull(),
  hash: text("hash").notNull(),
  /** The database's clock when the link was made (the commit), not the entry's `createdAt`. */
  chainedAt: at("chained_at").notNull(),
});

/**
 * Domain events (`subscription.plan_changed`, `invoice.paid`, …; the catalog is src/events/event-catalog.ts),
 * written with the change that causes them. `sequence` numbers each organization's events 1, 2, 3… in
 * commit order (docs/events.md).
 */
export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    organizationId: text("organization_id"),
    sequence: bigint("sequence", { mode: "number" }).notNull(),
    schemaVersion: integer("schema_version").notNull().default(1),
    data: jsonb("data").notNull(),
    previous: jsonb("previous"),
    createdAt: at("created_at").notNull(),
    publishedAt: at("published_at"),
  },
  (table) => [
    index("events_organization_id_idx").on(table.organizationId, table.id),
    uniqueIndex("events_organization_sequence_idx").on(table.organizationId, table.sequence),
    index("events_type_idx").on(table.type, table.id),
  ],
);

/** The founders program (docs/billing.md "Lifecycle"): one seat per organization, numbered, within the configured count. */
export const foundersMembers = pgTable("founders_members", {
  organizationId: text("organization_id")
    .primaryKey()
    .references(() => organizations.id),
  subscriptionId: text("subscription_id").notNull(),
  seat: integer("seat").notNull().unique(),
  benefit: jsonb("benefit").$type<FounderBenefit>().notNull(),
  joinedAt: at("joined_at").notNull(),
});
