import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { BillingServices } from "../billing/billing-operation.ts";
import { checkouts, payments } from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";
import { newId } from "../ids.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import { adminUnappliedPaymentJob } from "../notifications/payment-notifications.ts";
import type { CheckoutRow } from "./checkout-records.ts";
import type { PaymentSuccess, PipelineResult } from "./handle-payment-success.ts";
import { refundUnappliedPaymentJob } from "./refund-unapplied-payment.ts";

/**
 * A payment the pipeline could not apply: kept on record (so a repeated delivery is a no-op), the
 * checkout marked failed, operators notified, and a job enqueued that refunds it through the provider.
 */
export async function recordUnappliedPayment({
  services,
  checkout,
  payment,
  reason,
  systemNow,
}: {
  services: BillingServices;
  checkout: CheckoutRow;
  payment: PaymentSuccess;
  reason: string;
  systemNow: Date;
}): Promise<PipelineResult> {
  const { db } = services;
  const paymentId = newId("pay", systemNow.getTime());
  const recorded = await db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(payments)
      .values({
        id: paymentId,
        organizationId: checkout.organizationId,
        invoiceId: null,
        paymentMethodId: null,
        provider: payment.provider,
        providerPaymentId: payment.providerPaymentId,
        amount: payment.amount,
        currency: payment.currency,
        status: "succeeded",
        failureCode: "not_applied",
        failureMessage: reason,
        createdAt: systemNow,
      })
      .onConflictDoNothing()
      .returning({ id: payments.id });
    if (!inserted) return null;
    const [failed = checkout] = await tx
      .update(checkouts)
      .set({
        status: checkout.status === "completed" ? "completed" : "failed",
        failureCode: "not_applied",
        failureMessage: reason,
        updatedAt: systemNow,
      })
      .where(eq(checkouts.id, checkout.id))
      .returning();
    await recordAudit({
      executor: tx,
      entry: {
        action: "payment.unapplied",
        actor: `system:${payment.provider}`,
        organizationId: checkout.organizationId,
        reason,
        after: { ...payment, paymentId, checkoutId: checkout.id },
      },
      now: systemNow,
    });
    await publishEvent({
      executor: tx,
      type: "payment.unapplied",
      organizationId: checkout.organizationId,
      data: { paymentId, checkoutId: checkout.id, reason },
      now: systemNow,
    });
    await enqueueJob(tx, adminUnappliedPaymentJob, { paymentId, reason });
    if (payment.amount > 0n) await enqueueJob(tx, refundUnappliedPaymentJob, { paymentId, reason });
    return failed;
  });
  if (!recorded) return { outcome: "duplicate", checkout };
  services.logger.warn(
    { checkoutId: checkout.id, paymentId, reason },
    "payment not applied; refunding",
  );
  return { outcome: "unapplied", checkout: recorded, reason };
}
