import { eq } from "drizzle-orm";
import { z } from "zod";
import { payments } from "../db/schema/index.ts";
import { defineJob } from "../jobs/job.ts";
import { applyRefund } from "../payments/apply-refund.ts";

/**
 * Refunds a payment the pipeline could not apply, through its provider. A job, enqueued in the
 * transaction that records the payment as unapplied: a provider error is retried by the worker, and the
 * refund's idempotency key is derived from the payment, so a retry never refunds twice.
 */
export const refundUnappliedPaymentJob = defineJob({
  name: "payment.refund_unapplied",
  payload: z.object({ paymentId: z.string(), reason: z.string() }),
  maxAttempts: 10,
  async handler({ payload, context }) {
    const [payment] = await context.db
      .select()
      .from(payments)
      .where(eq(payments.id, payload.paymentId));
    if (!payment?.providerPaymentId) return;
    const outstanding = payment.amount - payment.amountRefunded;
    if (outstanding <= 0n) return;
    const provider = context.providers.get(payment.provider);
    if (!provider) {
      context.logger.error(
        { paymentId: payment.id, provider: payment.provider },
        "cannot refund an unapplied payment: its provider is not configured",
      );
      return;
    }
    const refund = await provider.refund({
      providerPaymentId: payment.providerPaymentId,
      amount: outstanding,
      currency: payment.currency,
      refundId: `refund_unapplied_${payment.id}`,
    });
    if (refund.status === "failed") {
      // A refusal (not an outage) will not change on retry: operators were notified of the payment.
      context.logger.error(
        { paymentId: payment.id, message: refund.message },
        "the provider refused to refund an unapplied payment",
      );
      return;
    }
    await applyRefund({
      db: context.db,
      refund: {
        provider: payment.provider,
        providerPaymentId: payment.providerPaymentId,
        amountRefunded: payment.amount,
        currency: payment.currency,
        providerRefundId: refund.providerRefundId,
      },
      reason: `Not applied: ${payload.reason}`,
      actor: `system:${payment.provider}`,
      now: new Date(),
    });
  },
});
