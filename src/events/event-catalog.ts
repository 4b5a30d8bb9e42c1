import { z } from "zod";
import { currencyField, instantField, integerField, intervalField } from "./event-fields.ts";

/**
 * The catalog of outbound events (docs/events.md): every type Abono publishes, what it means, the version
 * of its payload and the payload's schema. Each event is `{id, type, schemaVersion, sequence, createdAt,
 * organizationId, data, previous}`; `data` (and `previous`, for the types that have one) follow these
 * schemas. A payload gains fields without a new version; a field removed or changing meaning gets a new
 * `schemaVersion` (and the old one keeps being documented).
 */

export interface EventDefinition {
  description: string;
  /** The version of `data` (and `previous`) this release publishes. */
  version: number;
  data: z.ZodType;
  previous?: z.ZodType;
}

const subscriptionId = z.string().meta({ examples: ["sub_01j8z6r0b4c8d2e6f0g4h8j2k6"] });
const invoiceId = z.string().meta({ examples: ["inv_01j8z6r7n1p5q9r3s7t1v5w9x3"] });
const paymentId = z.string().meta({ examples: ["pay_01j8z6s2a6b0c4d8e2f6g0h4j8"] });
const subscriptionStatus = z.enum([
  "incomplete",
  "trialing",
  "active",
  "past_due",
  "canceled",
  "expired",
]);
const organizationStatus = z.enum(["active", "suspended", "deleted"]);
const locale = z.enum(["en", "es"]);

const organizationState = z.object({
  organizationId: z.string(),
  name: z.string(),
  status: organizationStatus,
  currency: currencyField.nullable(),
  locale,
});

const catalog = {
  "organization.created": {
    description: "An organization was created and fully provisioned.",
    version: 1,
    data: organizationState.extend({
      billingAnchor: z.enum(["anniversary", "first_of_month"]),
      ownerUserId: z.string().nullable(),
      testClockId: z.string().nullable(),
    }),
  },
  "organization.updated": {
    description:
      "An organization's name, locale or status changed; `previous` holds the values before.",
    version: 1,
    data: organizationState,
    previous: organizationState.pick({ name: true, locale: true, status: true }),
  },
  "organization.status_changed": {
    description:
      "An organization became `active`, `suspended` or `deleted` (follows `organization.updated`). Nothing is allowed while it is not active.",
    version: 1,
    data: z.object({
      organizationId: z.string(),
      status: organizationStatus,
      isActive: z.boolean(),
    }),
    previous: z.object({ status: organizationStatus, isActive: z.boolean() }),
  },
  "subscription.created": {
    description:
      "A subscription started (a first purchase, or a new plan after the previous ended).",
    version: 1,
    data: z.object({
      subscriptionId,
      planId: z.string(),
      interval: intervalField,
      status: subscriptionStatus,
    }),
  },
  "subscription.updated": {
    description:
      "Something about a subscription changed that is not a plan change: add-on quantities (`items_changed`), a plan change scheduled for the period end (`change_scheduled`) or such a change undone (`scheduled_change_canceled`), a cancellation scheduled for the period end (`cancellation_scheduled`) or such a cancellation undone (`cancellation_undone`).",
    version: 1,
    data: z.object({
      subscriptionId,
      reason: z.enum([
        "items_changed",
        "change_scheduled",
        "scheduled_change_canceled",
        "cancellation_scheduled",
        "cancellation_undone",
      ]),
      addonId: z.string().optional(),
      quantity: integerField.optional(),
      previousQuantity: integerField.optional(),
      scheduledChange: z.object({ planId: z.string(), interval: intervalField }).optional(),
    }),
  },
  "subscription.plan_changed": {
    description:
      "A subscription moved to another plan or interval now (an upgrade or a downgrade, with its proration invoices); `previous` holds the old plan.",
    version: 1,
    data: z.object({ subscriptionId, planId: z.string(), interval: intervalField }),
    previous: z.object({ planId: z.string(), interval: intervalField }),
  },
  "subscription.canceled": {
    description:
      "A subscription ended: canceled now on request, at the end of a period it was canceled for (`atPeriodEnd`), or after its last payment retry failed (`outcome: canceled`). The organization falls back to the free plan.",
    version: 1,
    data: z.object({
      subscriptionId,
      atPeriodEnd: z.boolean().optional(),
      endedAt: instantField.optional(),
      invoiceId: invoiceId.nullable().optional(),
      attempt: integerField.optional(),
      outcome: z.string().optional(),
    }),
  },
  "subscription.renewed": {
    description:
      "A subscription entered a new period and its invoice was issued. `status` is `active` when it was paid, `past_due` when the payment failed (then `subscription.past_due` follows).",
    version: 1,
    data: z.object({
      subscriptionId,
      invoiceId,
      status: subscriptionStatus,
      periodStart: instantField,
      periodEnd: instantField,
    }),
  },
  "subscription.trial_will_end": {
    description: "A subscription's trial ends in three days; the first charge follows at its end.",
    version: 1,
    data: z.object({
      subscriptionId,
      planId: z.string(),
      interval: intervalField,
      trialEndsAt: instantField,
    }),
  },
  "subscription.past_due": {
    description:
      "A renewal's payment (or a retry of it) failed: access continues through the grace period while payment is retried.",
    version: 1,
    data: z.object({
      subscriptionId,
      invoiceId: invoiceId.nullable(),
      attempt: integerField.optional(),
      outcome: z.string().optional(),
    }),
  },
  "subscription.expired": {
    description:
      "A subscription reached the end of its term (an annual plan without auto-renewal).",
    version: 1,
    data: z.object({ subscriptionId, endedAt: instantField, atPeriodEnd: z.boolean() }),
  },
  "subscription.recovered": {
    description: "A past-due subscription's payment retry succeeded; it is active again.",
    version: 1,
    data: z.object({
      subscriptionId,
      invoiceId: invoiceId.nullable(),
      attempt: integerField,
      outcome: z.string(),
    }),
  },
  "invoice.created": {
    description:
      "An invoice was finalized and numbered (`open` for payment, or `paid` at once when nothing is due).",
    version: 1,
    data: z.object({
      invoiceId,
      number: z.string().nullable(),
      subscriptionId: subscriptionId.nullable(),
      kind: z.enum(["subscription", "one_off", "settlement"]),
      billingReason: z.string(),
      status: z.enum(["draft", "open", "paid", "void", "uncollectible"]),
      currency: currencyField,
      total: integerField,
      amountDue: integerField,
    }),
  },
  "invoice.paid": {
    description: "An invoice's amount due was paid.",
    version: 1,
    data: z.object({
      invoiceId,
      number: z.string().nullable(),
      amountPaid: integerField,
      currency: currencyField,
      provider: z.string().nullable(),
      paymentId: paymentId.optional(),
    }),
  },
  "invoice.payment_failed": {
    description:
      "A payment of an invoice was declined. A renewal's invoice stays open for the retries; a plan change or purchase was refused and its invoice voided.",
    version: 1,
    data: z.object({
      invoiceId,
      code: z.string().nullable(),
      paymentId: paymentId.optional(),
      amount: integerField.optional(),
      currency: currencyField.optional(),
    }),
  },
  "invoice.voided": {
    description:
      "An invoice was voided: nothing is owed on it (a declined plan change or purchase).",
    version: 1,
    data: z.object({ invoiceId, number: z.string().nullable(), reason: z.string() }),
  },
  "credit_note.created": {
    description:
      "A credit note was issued: a credit to the customer (a downgrade's unused time, licenses removed, unused time on cancellation, or a refund). Its credit went to the credit balance (`creditedTo: balance`) or back to the payment method (`payment_method`). Published in the transaction that issues it.",
    version: 1,
    data: z.object({
      invoiceId: invoiceId.meta({
        description: "The credit note's id (the same as `creditNoteId`).",
      }),
      creditNoteId: invoiceId.optional(),
      number: z
        .string()
        .nullable()
        .meta({ examples: ["ABN-NC-000001"] }),
      amount: integerField.meta({ description: "The credit, a positive amount in minor units" }),
      currency: currencyField,
      billingReason: z.string(),
      correctsInvoiceIds: z.array(invoiceId).optional(),
      creditedTo: z.enum(["balance", "payment_method"]).optional(),
    }),
  },
  "payment.succeeded": {
    description:
      "A payment succeeded: a renewal, a plan change, a pack, a trial's first charge or a checkout; or a transaction an app store charged (provider `app_store` or `google_play`, `invoiceId` null: the store is the merchant of record and invoices nothing here).",
    version: 1,
    data: z.object({
      paymentId,
      invoiceId: invoiceId.nullable(),
      amount: integerField,
      currency: currencyField,
      provider: z.string().nullable(),
    }),
  },
  "payment.failed": {
    description: "A payment attempt was declined (see `invoice.payment_failed` for what follows).",
    version: 1,
    data: z.object({
      paymentId: paymentId.nullable(),
      invoiceId,
      code: z.string().nullable(),
      amount: integerField.optional(),
      currency: currencyField.optional(),
    }),
  },
  "payment.refunded": {
    description:
      "A payment was refunded to the customer's payment method, in full or in part (`refunded` now, `amountRefunded` in all): by root (`POST /v1/invoices/{id}/refunds`, a balance payout) or at the provider. Published in the transaction that records it.",
    version: 1,
    data: z.object({
      paymentId,
      invoiceId: invoiceId.nullable(),
      refunded: integerField,
      amountRefunded: integerField,
      currency: currencyField,
      creditNoteId: invoiceId.nullable().optional(),
    }),
  },
  "payment.unapplied": {
    description:
      "A provider payment could not be applied (the quote went stale, the organization was suspended…); it is refunded and the operators are told.",
    version: 1,
    data: z.object({ paymentId, checkoutId: z.string(), reason: z.string() }),
  },
  "balance.changed": {
    description:
      "The credit balance moved: a proration credit, credit applied to an invoice, a root adjustment, a refund to the balance, a payout to the payment method.",
    version: 1,
    data: z.object({
      transactionId: z.string(),
      type: z
        .enum([
          "proration_credit",
          "applied_to_invoice",
          "adjustment",
          "refund_to_balance",
          "payout",
          "reversal",
        ])
        .optional(),
      amount: integerField,
      available: integerField,
      currency: currencyField,
      invoiceId: invoiceId.nullable().optional(),
    }),
  },
  "entitlement.updated": {
    description:
      "What the organization may use changed: its plan or status, add-ons, packs, root overrides or the organization's status. Published once per change, after it commits; `version` increases with every change. Read the effective values with `GET /v1/organizations/{orgId}/entitlement`.",
    version: 1,
    data: z.object({
      organizationId: z.string(),
      planId: z.string(),
      planVersion: z.int().nullable(),
      status: z.enum(["trialing", "active", "past_due", "canceled"]),
      trialEndsAt: instantField.nullable(),
      graceEndsAt: instantField.nullable(),
      source: z.enum(["free", "subscription", "manual", "store"]),
      organizationStatus,
      version: z.int(),
    }),
  },
  "usage.threshold_reached": {
    description:
      "Usage of a limited feature reached a share of its limit (80 % and 100 % unless the feature sets its own thresholds): once per threshold and period for metered features, each time a limit feature's count rises through it.",
    version: 1,
    data: z.object({
      feature: z.string(),
      kind: z.enum(["limit", "metered"]),
      threshold: z
        .int()
        .meta({ description: "The percentage of the limit reached", examples: [80] }),
      used: integerField,
      limit: integerField,
      periodStart: instantField
        .nullable()
        .meta({ description: "The metered period; null for limit features" }),
    }),
  },
  "pack.granted": {
    description: "A purchased pack's units were added to the organization's balance of a feature.",
    version: 1,
    data: z.object({
      grantId: z.string(),
      packId: z.string().nullable(),
      feature: z.string(),
      quantity: integerField,
      invoiceId,
      expiresAt: instantField.nullable(),
    }),
  },
  "pack.revoked": {
    description:
      "A pack bought in a store was refunded or voided (Apple REFUND of a consumable, a Google Play voided purchase): the units its grant still had were removed (`removed`; units already used stay used). Published once, with `payment.refunded`, in the transaction that marks the payment refunded.",
    version: 1,
    data: z.object({
      grantId: z.string(),
      feature: z.string(),
      quantity: integerField,
      removed: integerField,
      paymentId,
      provider: z.enum(["app_store", "google_play"]),
      reason: z.enum(["refunded", "voided"]),
    }),
  },
  "checkout.completed": {
    description: "A checkout was paid and applied: the subscription it bought is active.",
    version: 1,
    data: z.object({
      checkoutId: z.string(),
      subscriptionId,
      planId: z.string(),
      isUpgrade: z.boolean(),
    }),
  },
  "checkout.failed": {
    description: "A checkout's payment failed at the provider.",
    version: 1,
    data: z.object({ checkoutId: z.string(), code: z.string().nullable() }),
  },
  "store_subscription.updated": {
    description:
      "An App Store or Google Play subscription changed (a purchase, renewal, failed renewal, expiry, refund…; `notificationType` is the store's). The entitlement follows (`entitlement.updated`); the store charged the customer, so no invoice exists. `payment` is the store transaction recorded with it, if any.",
    version: 1,
    data: z.object({
      storeSubscriptionId: z.string().meta({ examples: ["ssub_01j8z6r0b4c8d2e6f0g4h8j2k6"] }),
      store: z.enum(["app_store", "google_play"]),
      productId: z.string(),
      planId: z.string().nullable(),
      status: z.enum([
        "trialing",
        "active",
        "past_due",
        "paused",
        "canceled",
        "expired",
        "revoked",
      ]),
      previousStatus: z
        .enum(["trialing", "active", "past_due", "paused", "canceled", "expired", "revoked"])
        .nullable()
        .optional()
        .meta({
          description: "The status before this change; null for a subscription first heard of.",
        }),
      autoRenew: z.boolean(),
      expiresAt: instantField.nullable(),
      graceEndsAt: instantField.nullable().optional(),
      pendingPlanId: z.string().nullable().optional().meta({
        description:
          "The plan the subscription switches to at its next renewal (a downgrade or crossgrade the customer chose in the store), if any.",
      }),
      notificationType: z.string(),
      payment: z
        .object({
          paymentId,
          amount: integerField,
          currency: currencyField,
          status: z.enum(["succeeded", "refunded"]),
        })
        .nullable(),
    }),
  },
} satisfies Record<string, EventDefinition>;

export const eventCatalog: Readonly<Record<EventType, EventDefinition>> = catalog;

export type EventType = keyof typeof catalog;

export const eventTypes = Object.keys(catalog) as EventType[];

/** What a publisher passes as `data` for a type (bigints and Dates allowed). */
export type EventData<Type extends EventType> = z.input<(typeof catalog)[Type]["data"]>;

/** What a publisher passes as `previous` for a type that has one. */
export type EventPrevious<Type extends EventType> = Type extends EventType
  ? (typeof catalog)[Type] extends { previous: z.ZodType }
    ? z.input<(typeof catalog)[Type]["previous"]>
    : never
  : never;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(catalog, type);
}
