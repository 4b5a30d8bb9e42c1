import { eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import { invoices, payments, refunds } from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";
import { newId } from "../ids.ts";
import { findProviderPayment } from "./find-provider-payment.ts";

export interface ProviderRefund {
  provider: string;
  providerPaymentId: string;
  /** Everything refunded on the payment so far, as the provider reports it (cumulative). */
  amountRefunded: bigint;
  currency: string;
  providerRefundId: string | null;
}

export type RefundOutcome =
  | { outcome: "processed"; paymentId: string; refunded: bigint }
  | { outcome: "duplicate"; paymentId: string }
  | { outcome: "ignored"; reason: string };

/**
 * A refund reported by a provider flows back: a `refunds` row for the newly refunded part, the payment's
 * cumulative `amountRefunded` (status `refunded` once all of it is), the paid invoice's `amountRefunded`,
 * an audit entry and a `payment.refunded` event. Reports are cumulative, so a repeat adds nothing. Money
 * refunded to the customer's card does not touch the credit balance.
 */
export async function applyRefund({
  db,
  refund,
  reason,
  actor,
  now,
}: {
  db: Database;
  refund: ProviderRefund;
  reason: string | null;
  actor: string;
  now: Date;
}): Promise<RefundOutcome> {
  return db.transaction(async (tx) => {
    const payment = await findProviderPayment({
      executor: tx,
      provider: refund.provider,
      providerPaymentId: refund.providerPaymentId,
      forUpdate: true,
    });
    if (!payment) {
      return { outcome: "ignored", reason: `no payment ${refund.providerPaymentId} on record` };
    }
    if (refund.currency !== payment.currency) {
      return {
        outcome: "ignored",
        reason: `refund currency ${refund.currency} differs from the payment's ${payment.currency}`,
      };
    }
    const total = refund.amountRefunded > payment.amount ? payment.amount : refund.amountRefunded;
    const added = total - payment.amountRefunded;
    if (added <= 0n) return { outcome: "duplicate", paymentId: payment.id };
    const inserted = await tx
      .insert(refunds)
      .values({
        id: newId("re", now.getTime()),
        paymentId: payment.id,
        organizationId: payment.organizationId,
        provider: refund.provider,
        providerRefundId: refund.providerRefundId ?? `${refund.providerPaymentId}:${total}`,
        amount: added,
        currency: payment.currency,
        reason,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: refunds.id });
    if (inserted.length === 0) return { outcome: "duplicate", paymentId: payment.id };
    await tx
      .update(payments)
      .set({
        amountRefunded: total,
        status: total === payment.amount ? "refunded" : payment.status,
      })
      .where(eq(payments.id, payment.id));
    if (payment.invoiceId) {
      await tx
        .update(invoices)
        .set({ amountRefunded: sql`${invoices.amountRefunded} + ${added}` })
        .where(eq(invoices.id, payment.invoiceId));
    }
    await recordAudit({
      executor: tx,
      entry: {
        action: "payment.refunded",
        actor,
        organizationId: payment.organizationId,
        reason,
        before: { amountRefunded: payment.amountRefunded },
        after: {
          paymentId: payment.id,
          invoiceId: payment.invoiceId,
          amountRefunded: total,
          refunded: added,
          currency: payment.currency,
          providerRefundId: refund.providerRefundId,
        },
      },
      now,
    });
    await publishEvent({
      executor: tx,
      type: "payment.refunded",
      organizationId: payment.organizationId,
      data: {
        paymentId: payment.id,
        invoiceId: payment.invoiceId,
        refunded: added,
        amountRefunded: total,
        currency: payment.currency,
      },
      now,
    });
    return { outcome: "processed", paymentId: payment.id, refunded: added };
  });
}
