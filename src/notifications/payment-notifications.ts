import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/database.ts";
import {
  checkouts,
  type EmailAttachment,
  emails,
  invoices,
  notifications,
  organizations,
  payments,
  planVersions,
  subscriptions,
} from "../db/schema/index.ts";
import type { Locale } from "../i18n/billing-messages.ts";
import {
  notificationEmail,
  notificationMessages,
  type PurchaseDetails,
} from "../i18n/notification-messages.ts";
import { newId } from "../ids.ts";
import { invoicePdfFile } from "../invoicing/invoice-pdf-file.ts";
import { getInvoice } from "../invoicing/invoices.ts";
import { defineJob, type JobContext } from "../jobs/job.ts";
import { formatMoney } from "../money/index.ts";
import { createMailer } from "./mailer.ts";

/**
 * The follow-ups of a successful payment (docs/payments.md "Emails and notifications"): a purchase email to the organization's owner, an
 * in-app notification for its users, and one for the platform's operators. Each is its own job, enqueued
 * in the payment's transaction, and idempotent by a dedupe key: a retried job does its work once.
 */

const checkoutPayload = z.object({ checkoutId: z.string() });

export const purchaseEmailJob = defineJob({
  name: "notification.purchase_email",
  payload: checkoutPayload,
  maxAttempts: 10,
  async handler({ payload, context }) {
    const purchase = await loadPurchase({ db: context.db, checkoutId: payload.checkoutId });
    if (!purchase?.ownerEmail) {
      context.logger.warn({ checkoutId: payload.checkoutId }, "purchase email: no owner email");
      return;
    }
    await sendEmail({
      context,
      organizationId: purchase.organizationId,
      template: "purchase",
      dedupeKey: `purchase:${payload.checkoutId}`,
      locale: purchase.locale,
      to: purchase.ownerEmail,
      rendered: notificationMessages(purchase.locale).purchaseEmail(purchase.details),
      attachments: purchase.paidInvoiceId
        ? [{ kind: "invoice_pdf", invoiceId: purchase.paidInvoiceId }]
        : [],
    });
  },
});

export const userPaymentNotificationJob = defineJob({
  name: "notification.user_payment_completed",
  payload: checkoutPayload,
  async handler({ payload, context }) {
    const purchase = await loadPurchase({ db: context.db, checkoutId: payload.checkoutId });
    if (!purchase) return;
    const message = notificationMessages(purchase.locale).userPaymentCompleted(purchase.details);
    await insertNotification({
      db: context.db,
      audience: "user",
      organizationId: purchase.organizationId,
      userId: purchase.ownerUserId,
      kind: "payment_completed",
      dedupeKey: `user_payment:${payload.checkoutId}`,
      locale: purchase.locale,
      message,
      data: { checkoutId: payload.checkoutId },
    });
  },
});

export const adminPaymentNotificationJob = defineJob({
  name: "notification.admin_payment",
  payload: checkoutPayload,
  async handler({ payload, context }) {
    const purchase = await loadPurchase({ db: context.db, checkoutId: payload.checkoutId });
    if (!purchase) return;
    const message = notificationMessages("en").adminPaymentReceived(purchase.detailsFor("en"));
    await insertNotification({
      db: context.db,
      audience: "admin",
      organizationId: purchase.organizationId,
      userId: null,
      kind: "payment_received",
      dedupeKey: `admin_payment:${payload.checkoutId}`,
      locale: "en",
      message,
      data: { checkoutId: payload.checkoutId },
    });
    await emailOperators({
      context,
      organizationId: purchase.organizationId,
      dedupeKey: `admin_payment:${payload.checkoutId}`,
      message,
    });
  },
});

export const adminUnappliedPaymentJob = defineJob({
  name: "notification.admin_payment_unapplied",
  payload: z.object({ paymentId: z.string(), reason: z.string() }),
  async handler({ payload, context }) {
    const [row] = await context.db
      .select({
        organizationId: payments.organizationId,
        amount: payments.amount,
        currency: payments.currency,
        name: organizations.name,
      })
      .from(payments)
      .innerJoin(organizations, eq(organizations.id, payments.organizationId))
      .where(eq(payments.id, payload.paymentId));
    if (!row) return;
    const message = notificationMessages("en").adminPaymentUnapplied({
      organizationName: row.name,
      amount: formatMoney({ amount: row.amount, currency: row.currency, locale: "en" }),
      reason: payload.reason,
    });
    await insertNotification({
      db: context.db,
      audience: "admin",
      organizationId: row.organizationId,
      userId: null,
      kind: "payment_unapplied",
      dedupeKey: `admin_unapplied:${payload.paymentId}`,
      locale: "en",
      message,
      data: { paymentId: payload.paymentId, reason: payload.reason },
    });
    await emailOperators({
      context,
      organizationId: row.organizationId,
      dedupeKey: `admin_unapplied:${payload.paymentId}`,
      message,
    });
  },
});

export const notificationJobs = [
  purchaseEmailJob,
  userPaymentNotificationJob,
  adminPaymentNotificationJob,
  adminUnappliedPaymentJob,
];

/**
 * Renders once (a retried job finds the row by its dedupe key) and delivers an email; its attachments
 * (an invoice's PDF) are rendered when it is sent.
 */
export async function sendEmail({
  context,
  organizationId,
  template,
  dedupeKey,
  locale,
  to,
  rendered,
  attachments = [],
}: {
  context: JobContext;
  organizationId: string | null;
  template: string;
  dedupeKey: string;
  locale: Locale;
  to: string;
  rendered: { subject: string; text: string; html: string };
  attachments?: EmailAttachment[];
}) {
  const now = new Date();
  const inserted = await context.db
    .insert(emails)
    .values({
      id: newId("eml", now.getTime()),
      organizationId,
      template,
      dedupeKey,
      locale,
      to,
      from: context.config.email.from,
      ...rendered,
      attachments: attachments.length > 0 ? attachments : null,
      status: "queued",
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  // Rendered before (a retried job): the stored email, unless it was sent.
  const [email] =
    inserted.length > 0
      ? inserted
      : await context.db.select().from(emails).where(eq(emails.dedupeKey, dedupeKey));
  if (email && email.status !== "sent") await deliver({ context, email });
}

/** Operators' notifications also go to `ABONO_ADMIN_EMAIL` when it is set. */
export async function emailOperators({
  context,
  organizationId,
  dedupeKey,
  message,
}: {
  context: JobContext;
  organizationId: string | null;
  dedupeKey: string;
  message: { title: string; body: string };
}) {
  const to = context.config.email.adminEmail;
  if (!to) return;
  await sendEmail({
    context,
    organizationId,
    template: "admin_notification",
    dedupeKey: `email:${dedupeKey}`,
    locale: "en",
    to,
    rendered: notificationEmail(message),
  });
}

/** Sends a stored email with its attachments and records the outcome (sent, or failed and why). */
async function deliver({
  context,
  email,
}: {
  context: JobContext;
  email: typeof emails.$inferSelect;
}) {
  const mailer = createMailer({ email: context.config.email, testMode: context.config.testMode });
  const result = await mailer.deliver({
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    attachments: await renderAttachments({ context, attachments: email.attachments ?? [] }),
  });
  await context.db
    .update(emails)
    .set(
      result.status === "sent"
        ? { status: "sent", messageId: result.messageId, sentAt: new Date(), error: null }
        : { status: "failed", error: result.error },
    )
    .where(and(eq(emails.id, email.id), eq(emails.status, email.status)));
  if (result.status === "failed" && context.config.email.smtpUrl) {
    // A configured SMTP server that fails is worth retrying (the job's attempts back off).
    throw new Error(`Email delivery failed: ${result.error}`);
  }
}

async function renderAttachments({
  context,
  attachments,
}: {
  context: JobContext;
  attachments: readonly EmailAttachment[];
}) {
  const files = [];
  for (const attachment of attachments) {
    const invoice = await getInvoice({ executor: context.db, invoiceId: attachment.invoiceId });
    const file = await invoicePdfFile({
      executor: context.db,
      invoice,
      issuerDefaults: context.config.issuer,
      logger: context.logger,
    });
    files.push({ ...file, contentType: "application/pdf" });
  }
  return files;
}

export async function insertNotification({
  db,
  audience,
  organizationId,
  userId,
  kind,
  dedupeKey,
  locale,
  message,
  data,
}: {
  db: Database;
  audience: "admin" | "user";
  organizationId: string | null;
  userId: string | null;
  kind: string;
  dedupeKey: string;
  locale: Locale;
  message: { title: string; body: string };
  data: Record<string, unknown>;
}) {
  const now = new Date();
  await db
    .insert(notifications)
    .values({
      id: newId("ntf", now.getTime()),
      audience,
      organizationId,
      userId,
      kind,
      dedupeKey,
      locale,
      title: message.title,
      body: message.body,
      data,
      createdAt: now,
    })
    .onConflictDoNothing();
}

/** Everything the messages about one completed checkout need, in the organization's locale. */
async function loadPurchase({ db, checkoutId }: { db: Database; checkoutId: string }) {
  const [row] = await db
    .select({
      checkout: checkouts,
      organizationName: organizations.name,
      locale: organizations.locale,
      ownerEmail: organizations.ownerEmail,
      ownerUserId: organizations.ownerUserId,
      planName: planVersions.name,
      invoiceNumber: invoices.number,
      invoiceAmountPaid: invoices.amountPaid,
      periodEnd: subscriptions.currentPeriodEnd,
    })
    .from(checkouts)
    .innerJoin(organizations, eq(organizations.id, checkouts.organizationId))
    .leftJoin(
      planVersions,
      and(
        eq(planVersions.planId, checkouts.planId),
        eq(planVersions.version, checkouts.planVersion),
      ),
    )
    .leftJoin(invoices, eq(invoices.id, checkouts.invoiceId))
    .leftJoin(subscriptions, eq(subscriptions.id, checkouts.subscriptionId))
    .where(eq(checkouts.id, checkoutId));
  if (row?.checkout.status !== "completed") return null;
  const detailsFor = (locale: Locale): PurchaseDetails => ({
    organizationName: row.organizationName,
    planName: row.planName ?? row.checkout.planId,
    interval: row.checkout.interval,
    amount: formatMoney({ amount: row.checkout.amount, currency: row.checkout.currency, locale }),
    paid: row.checkout.amount > 0n,
    provider: providerLabel(row.checkout.provider),
    invoiceNumber: row.invoiceNumber,
    periodEnd: row.periodEnd
      ? new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(
          row.periodEnd,
        )
      : null,
    isUpgrade: row.checkout.isUpgrade,
  });
  return {
    organizationId: row.checkout.organizationId,
    /** The checkout's invoice when something was paid: its PDF goes with the purchase email. */
    paidInvoiceId:
      row.checkout.invoiceId && (row.invoiceAmountPaid ?? 0n) > 0n ? row.checkout.invoiceId : null,
    locale: row.locale,
    ownerEmail: row.ownerEmail,
    ownerUserId: row.ownerUserId,
    details: detailsFor(row.locale),
    detailsFor,
  };
}

const providerLabels: Record<string, string> = {
  stripe: "Stripe",
  mercadopago: "MercadoPago",
  paypal: "PayPal",
  sandbox: "Sandbox",
  direct: "—",
};

function providerLabel(provider: string): string {
  return providerLabels[provider] ?? provider;
}
