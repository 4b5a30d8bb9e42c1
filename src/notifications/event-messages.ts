import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import {
  checkouts,
  events,
  features,
  messagePreferences,
  organizations,
  planVersions,
  subscriptions,
} from "../db/schema/index.ts";
import type { EventConsumer } from "../events/dispatch-events.ts";
import type { EventType } from "../events/event-catalog.ts";
import type { Locale } from "../i18n/billing-messages.ts";
import { eventMessages, type RenderedEmail, type RenderedNotice } from "../i18n/event-messages.ts";
import { notificationMessages } from "../i18n/notification-messages.ts";
import { invoiceNumbersOf } from "../invoicing/invoice-numbers-of.ts";
import { getInvoice } from "../invoicing/invoices.ts";
import { enqueueJobs } from "../jobs/enqueue-job.ts";
import { defineJob, type JobContext } from "../jobs/job.ts";
import { formatMoney } from "../money/index.ts";
import { emailOperators, insertNotification, sendEmail } from "./payment-notifications.ts";

/**
 * The messages people get because of an event (docs/events.md "Messages to people"): an email to the
 * organization's owner, an in-app notification for its users and one for the operators (in English;
 * a failed payment is also emailed to them).
 * Each (event, template) is one job, enqueued when the event is dispatched; the email and notifications
 * are unique by event and template, so a repeated dispatch or job sends nothing twice.
 */
export const messageTemplates = [
  "receipt",
  "payment_failed",
  "trial_ending",
  "subscription_ended",
  "credit_note",
  "usage_threshold",
  "store_subscription",
  "pack_revoked",
] as const;
export type MessageTemplate = (typeof messageTemplates)[number];

const templatesByType: Partial<Record<EventType, MessageTemplate>> = {
  "payment.succeeded": "receipt",
  "payment.failed": "payment_failed",
  "subscription.trial_will_end": "trial_ending",
  "subscription.canceled": "subscription_ended",
  "subscription.expired": "subscription_ended",
  "credit_note.created": "credit_note",
  "usage.threshold_reached": "usage_threshold",
  "store_subscription.updated": "store_subscription",
  "pack.revoked": "pack_revoked",
};

/** Emails an organization may opt out of (`nonEssentialEmails: false`); the others always go. */
export const nonEssentialTemplates: ReadonlySet<MessageTemplate> = new Set(["usage_threshold"]);

export const eventMessageJob = defineJob({
  name: "notification.event_message",
  payload: z.object({ eventId: z.string(), template: z.enum(messageTemplates) }),
  maxAttempts: 10,
  async handler({ payload, context }) {
    await sendEventMessage({ context, ...payload });
  },
});

/** Enqueues the message jobs of the dispatched events (one per event and template). */
const enqueueEventMessages: EventConsumer = async ({ tx, events: dispatched }) => {
  const entries = dispatched.flatMap((event) => {
    const template = templatesByType[event.type as EventType];
    if (!template || event.organizationId === null) return [];
    return [
      {
        payload: { eventId: event.id, template },
        options: { jobKey: `message:${event.id}:${template}` },
      },
    ];
  });
  await enqueueJobs(tx, eventMessageJob, entries);
};

export const eventMessageConsumers: readonly EventConsumer[] = [enqueueEventMessages];

interface Composed {
  email: RenderedEmail | null;
  notice: RenderedNotice;
  /** The invoice whose PDF goes with the email. */
  invoiceId?: string;
  /** An email the organization may opt out of (`nonEssentialEmails: false`), whatever its template. */
  nonEssential?: boolean;
  /** For the operators, in English. */
  operators?: { title: string; body: string; email: boolean };
}

const formatDate = (date: Date, locale: Locale) =>
  new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(date);

async function sendEventMessage({
  context,
  eventId,
  template,
}: {
  context: JobContext;
  eventId: string;
  template: MessageTemplate;
}): Promise<void> {
  const { db } = context;
  // The event with its organization and the organization's message preferences, in one statement.
  const [found] = await db
    .select({ event: events, organization: organizations, preferences: messagePreferences })
    .from(events)
    .innerJoin(organizations, eq(organizations.id, events.organizationId))
    .leftJoin(messagePreferences, eq(messagePreferences.organizationId, organizations.id))
    .where(eq(events.id, eventId));
  if (!found) return;
  const { event, organization, preferences } = found;
  const locale: Locale = organization.locale;
  const data = event.data as Record<string, unknown>;
  const composed = await compose({
    context,
    template,
    type: event.type,
    at: event.createdAt,
    data,
    locale,
    organization,
  });
  if (!composed) return;
  const emailWanted =
    !(nonEssentialTemplates.has(template) || composed.nonEssential) ||
    (preferences?.nonEssentialEmails ?? true);
  if (composed.email && organization.ownerEmail && emailWanted) {
    await sendEmail({
      context,
      organizationId: organization.id,
      template,
      dedupeKey: `${template}:${eventId}`,
      locale,
      to: organization.ownerEmail,
      rendered: composed.email,
      attachments: composed.invoiceId
        ? [{ kind: "invoice_pdf", invoiceId: composed.invoiceId }]
        : [],
    });
  }
  await insertNotification({
    db,
    audience: "user",
    organizationId: organization.id,
    userId: organization.ownerUserId,
    kind: template,
    dedupeKey: `${template}:user:${eventId}`,
    locale,
    message: composed.notice,
    data: { eventId, eventType: event.type, ...data },
  });
  if (composed.operators) {
    const dedupeKey = `${template}:admin:${eventId}`;
    await insertNotification({
      db,
      audience: "admin",
      organizationId: organization.id,
      userId: null,
      kind: template,
      dedupeKey,
      locale: "en",
      message: composed.operators,
      data: { eventId, eventType: event.type, ...data },
    });
    if (composed.operators.email) {
      await emailOperators({
        context,
        organizationId: organization.id,
        dedupeKey,
        message: composed.operators,
      });
    }
  }
}

/** The message of one template for one event, or null when there is none to send. */
async function compose({
  context,
  template,
  type,
  at,
  data,
  locale,
  organization,
}: {
  context: JobContext;
  template: MessageTemplate;
  type: string;
  /** When the event happened (the organization's time). */
  at: Date;
  data: Record<string, unknown>;
  locale: Locale;
  organization: typeof organizations.$inferSelect;
}): Promise<Composed | null> {
  const { db } = context;
  const messages = eventMessages(locale);
  const organizationName = organization.name;
  const money = (amount: unknown, currency: unknown, as: Locale = locale) =>
    formatMoney({ amount: BigInt(Number(amount)), currency: String(currency), locale: as });
  switch (template) {
    case "receipt": {
      // A store's transaction: the store (the merchant of record) sends its own receipt.
      if (data.invoiceId === null || data.invoiceId === undefined) return null;
      const invoiceId = String(data.invoiceId);
      // A checkout's purchase email (with the same PDF) is its receipt.
      const [checkout] = await db
        .select({ id: checkouts.id })
        .from(checkouts)
        .where(eq(checkouts.invoiceId, invoiceId));
      if (checkout) return null;
      const invoice = await getInvoice({ executor: db, invoiceId });
      const details = {
        organizationName,
        invoiceNumber: invoice.number ?? invoice.id,
        amount: money(data.amount, data.currency),
        lines: invoice.lines.map(
          (line) => `${line.description}: ${money(line.amount, invoice.currency)}`,
        ),
        provider: String(data.provider ?? "—"),
      };
      const english = notificationMessages("en");
      return {
        email: messages.receiptEmail(details),
        notice: messages.receiptNotice(details),
        invoiceId,
        operators: {
          ...english.adminChargeReceived({
            organizationName,
            amount: money(data.amount, data.currency, "en"),
            invoiceNumber: details.invoiceNumber,
            reason: invoice.billingReason,
          }),
          email: false,
        },
      };
    }
    case "payment_failed": {
      const invoice = await getInvoice({ executor: db, invoiceId: String(data.invoiceId) });
      // A declined plan change or purchase was refused to the caller at once: its invoice is void.
      if (invoice.status === "void") return null;
      const [subscription] = invoice.subscriptionId
        ? await db
            .select({ nextAttemptAt: subscriptions.nextPaymentAttemptAt })
            .from(subscriptions)
            .where(eq(subscriptions.id, invoice.subscriptionId))
        : [];
      const details = {
        organizationName,
        invoiceNumber: invoice.number ?? invoice.id,
        amount: money(invoice.amountDue, invoice.currency),
        nextAttempt: subscription?.nextAttemptAt
          ? formatDate(subscription.nextAttemptAt, locale)
          : null,
        portalUrl: context.config.email.portalUrl ?? null,
      };
      return {
        email: messages.paymentFailedEmail(details),
        notice: messages.paymentFailedNotice(details),
        operators: {
          ...notificationMessages("en").adminPaymentFailed({
            organizationName,
            amount: money(invoice.amountDue, invoice.currency, "en"),
            invoiceNumber: details.invoiceNumber,
            code: String(data.code ?? "unknown"),
          }),
          email: true,
        },
      };
    }
    case "trial_ending": {
      const planName = await subscriptionPlanName({
        context,
        subscriptionId: String(data.subscriptionId),
      });
      if (planName === null) return null;
      const details = {
        organizationName,
        planName,
        trialEndsAt: formatDate(new Date(String(data.trialEndsAt)), locale),
      };
      return {
        email: messages.trialEndingEmail(details),
        notice: messages.trialEndingNotice(details),
        operators: {
          ...notificationMessages("en").adminTrialEnding({
            ...details,
            trialEndsAt: formatDate(new Date(String(data.trialEndsAt)), "en"),
          }),
          email: false,
        },
      };
    }
    case "subscription_ended": {
      const planName = await subscriptionPlanName({
        context,
        subscriptionId: String(data.subscriptionId),
      });
      if (planName === null) return null;
      const details = {
        organizationName,
        planName,
        endedAt: formatDate(data.endedAt ? new Date(String(data.endedAt)) : at, locale),
        reason:
          type === "subscription.expired"
            ? ("expired" as const)
            : data.outcome === "canceled"
              ? ("payment_failed" as const)
              : ("canceled" as const),
      };
      return {
        email: messages.subscriptionEndedEmail(details),
        notice: messages.subscriptionEndedNotice(details),
        operators: {
          ...notificationMessages("en").adminSubscriptionEnded({
            ...details,
            endedAt: formatDate(data.endedAt ? new Date(String(data.endedAt)) : at, "en"),
          }),
          email: false,
        },
      };
    }
    case "credit_note": {
      const invoiceId = String(data.invoiceId);
      const corrected = Array.isArray(data.correctsInvoiceIds)
        ? data.correctsInvoiceIds.map(String)
        : [];
      const details = {
        organizationName,
        invoiceNumber: String(data.number ?? invoiceId),
        amount: money(data.amount, data.currency),
        creditedTo:
          data.creditedTo === "payment_method" ? ("payment_method" as const) : ("balance" as const),
        corrects: await invoiceNumbersOf({ executor: context.db, invoiceIds: corrected }),
      };
      return {
        email: messages.creditNoteEmail(details),
        notice: messages.creditNoteNotice(details),
        invoiceId,
      };
    }
    case "store_subscription": {
      const change = storeChange(data);
      if (change === null) return null;
      const planId = typeof data.planId === "string" ? data.planId : null;
      if (planId === null) return null;
      const [plan] = await db
        .select({ name: planVersions.name })
        .from(planVersions)
        .where(eq(planVersions.planId, planId))
        .orderBy(desc(planVersions.version))
        .limit(1);
      const untilAt =
        change === "renewal_failed"
          ? (data.graceEndsAt ?? null)
          : change === "refunded"
            ? null
            : (data.expiresAt ?? null);
      const details = {
        organizationName,
        planName: plan?.name ?? planId,
        storeName: data.store === "app_store" ? "App Store" : "Google Play",
        change,
        until:
          untilAt && new Date(String(untilAt)).getTime() > at.getTime()
            ? formatDate(new Date(String(untilAt)), locale)
            : change === "expired" && untilAt
              ? formatDate(new Date(String(untilAt)), locale)
              : null,
      };
      return {
        email: messages.storeSubscriptionEmail(details),
        notice: messages.storeSubscriptionNotice(details),
        // The confirmation of a purchase the store already confirmed can be turned off; a failed
        // renewal, an end or a refund always goes.
        nonEssential: change === "subscribed",
      };
    }
    case "pack_revoked": {
      const [feature] = await db
        .select({ name: features.name })
        .from(features)
        .where(inArray(features.key, [String(data.feature)]));
      const count = (value: unknown) => new Intl.NumberFormat(locale).format(Number(value));
      const details = {
        organizationName,
        storeName: data.provider === "app_store" ? "App Store" : "Google Play",
        featureName: feature?.name ?? String(data.feature),
        quantity: count(data.quantity),
        removed: count(data.removed),
      };
      return {
        email: messages.packRevokedEmail(details),
        notice: messages.packRevokedNotice(details),
      };
    }
    case "usage_threshold": {
      const [feature] = await db
        .select({ name: features.name })
        .from(features)
        .where(inArray(features.key, [String(data.feature)]));
      const count = (value: unknown) => new Intl.NumberFormat(locale).format(Number(value));
      const details = {
        organizationName,
        featureName: feature?.name ?? String(data.feature),
        threshold: Number(data.threshold),
        used: count(data.used),
        limit: count(data.limit),
      };
      const english = new Intl.NumberFormat("en");
      return {
        email: messages.usageThresholdEmail(details),
        notice: messages.usageThresholdNotice(details),
        operators: {
          ...notificationMessages("en").adminUsageThreshold({
            ...details,
            used: english.format(Number(data.used)),
            limit: english.format(Number(data.limit)),
          }),
          email: false,
        },
      };
    }
  }
}

/**
 * What a store subscription's change means to the customer, told once per status change: a purchase
 * (first heard of, or live again after it ended by a new purchase or resubscription), a recovery (a
 * failed renewal collected after all, or a paused subscription resumed: not a new subscription, so no
 * second welcome), a failed renewal, an expiry, a refund or revocation. A renewal, a change of the
 * renewal preference or a state the store repeats says nothing new.
 */
export function storeChange(
  data: Record<string, unknown>,
): "subscribed" | "recovered" | "renewal_failed" | "expired" | "refunded" | null {
  const status = String(data.status);
  const previous =
    data.previousStatus === null || data.previousStatus === undefined
      ? null
      : String(data.previousStatus);
  if (status === previous) return null;
  const live = (value: string | null) =>
    value === "trialing" || value === "active" || value === "past_due";
  if (status === "active" || status === "trialing") {
    if (previous === "past_due" || previous === "paused") return "recovered";
    if (previous === "expired" && recoveryNotifications.has(String(data.notificationType))) {
      return "recovered";
    }
    return live(previous) ? null : "subscribed";
  }
  if (status === "past_due") return "renewal_failed";
  if (status === "expired" && live(previous)) return "expired";
  if (status === "revoked" && previous !== null) return "refunded";
  return null;
}

/**
 * Notifications saying a subscription that lapsed for a failed payment was collected after all: Apple's
 * DID_RENEW with subtype BILLING_RECOVERY (also after its EXPIRED with BILLING_RETRY), Google's
 * SUBSCRIPTION_RECOVERED (from account hold, or resumed from a pause).
 */
const recoveryNotifications: ReadonlySet<string> = new Set([
  "DID_RENEW.BILLING_RECOVERY",
  "SUBSCRIPTION_RECOVERED",
]);

/** The name of a subscription's plan, in the version it is on; null when there is no such subscription. */
async function subscriptionPlanName({
  context,
  subscriptionId,
}: {
  context: JobContext;
  subscriptionId: string;
}): Promise<string | null> {
  const [row] = await context.db
    .select({ planId: subscriptions.planId, name: planVersions.name })
    .from(subscriptions)
    .leftJoin(
      planVersions,
      and(
        eq(planVersions.planId, subscriptions.planId),
        eq(planVersions.version, subscriptions.planVersion),
      ),
    )
    .where(eq(subscriptions.id, subscriptionId));
  return row ? (row.name ?? row.planId) : null;
}
