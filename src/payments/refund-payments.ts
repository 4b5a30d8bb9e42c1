import { and, desc, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { invoices, payments, refunds } from "../db/schema/index.ts";
import { AbonoError } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { nextProviderRefundKey } from "../idempotency/idempotency-context.ts";
import { newId } from "../ids.ts";
import { toNumber } from "../money/index.ts";
import type { PaymentRow } from "./find-provider-payment.ts";
import type { PaymentProviders } from "./payment-providers.ts";

export interface RefundedPayment {
  paymentId: string;
  invoiceId: string | null;
  provider: string;
  providerRefundId: string;
  refunded: bigint;
}

/**
 * The succeeded payments that still have money to give back (newest first), locked for update: a
 * provider's refund notice for one of them (`applyRefund`, which locks the payment too) waits for the
 * refund being made here to be recorded, then finds it recorded and adds nothing. `invoiceId` narrows
 * them to one invoice's payments; without it, every payment of the organization.
 */
export async function refundablePayments({
  executor,
  organizationId,
  invoiceId,
}: {
  executor: Executor;
  organizationId: string;
  invoiceId?: string;
}): Promise<PaymentRow[]> {
  return executor
    .select()
    .from(payments)
    .where(
      and(
        eq(payments.organizationId, organizationId),
        invoiceId === undefined ? undefined : eq(payments.invoiceId, invoiceId),
        inArray(payments.status, ["succeeded", "refunded"]),
        isNotNull(payments.providerPaymentId),
        gt(payments.amount, payments.amountRefunded),
      ),
    )
    .orderBy(desc(payments.createdAt), desc(payments.id))
    .for("update");
}

/**
 * Gives `amount` back to the customer's payment method through the providers' refund APIs (the
 * `PaymentProvider` interface: nothing provider-specific here), over `candidates` in order, each refunded
 * at most what is left on it. Each refund is recorded as the provider notices are (`applyRefund`): a
 * `refunds` row, the payment's cumulative `amountRefunded`, its invoice's `amountRefunded`, and
 * `payment.refunded` in the caller's transaction. The provider idempotency key comes from the request's
 * Idempotency-Key when there is one, so a retried request gets the refunds already made instead of new
 * ones. A refusal or outage answers 502 `provider_error`, and the caller's transaction rolls back.
 */
export async function refundPayments({
  executor,
  providers,
  candidates,
  amount,
  reason,
  creditNoteId,
  fallbackKey,
  now,
  queueName,
}: {
  executor: Executor;
  providers: PaymentProviders;
  candidates: readonly PaymentRow[];
  amount: bigint;
  reason: string;
  creditNoteId: string | null;
  /** The provider idempotency key's base outside a request with an Idempotency-Key. */
  fallbackKey: string;
  now: Date;
  queueName: string | undefined;
}): Promise<RefundedPayment[]> {
  const refunded: RefundedPayment[] = [];
  let left = amount;
  for (const payment of candidates) {
    if (left === 0n) break;
    const available = payment.amount - payment.amountRefunded;
    if (available <= 0n || payment.providerPaymentId === null) continue;
    const part = available < left ? available : left;
    const provider = providers.get(payment.provider);
    if (!provider) {
      throw new AbonoError(
        "provider_error",
        `Payment ${payment.id} was made through ${payment.provider}, which is not configured here, so it cannot be refunded to the payment method; refund to the balance instead (to: "balance"). Nothing was changed.`,
        { provider: payment.provider, paymentId: payment.id },
      );
    }
    const result = await provider
      .refund({
        providerPaymentId: payment.providerPaymentId,
        amount: part,
        currency: payment.currency,
        refundId:
          nextProviderRefundKey(payment.organizationId) ?? `${fallbackKey}-${refunded.length + 1}`,
      })
      .catch((error: unknown) => ({
        status: "failed" as const,
        message: error instanceof Error ? error.message : String(error),
      }));
    if (result.status === "failed") {
      throw new AbonoError(
        "provider_error",
        `${payment.provider} did not refund ${part} (minor units, ${payment.currency}) of payment ${payment.id}: ${result.message} Nothing was changed; retry with the same Idempotency-Key, or refund to the balance.`,
        { provider: payment.provider, paymentId: payment.id },
      );
    }
    const total = payment.amountRefunded + part;
    await executor
      .insert(refunds)
      .values({
        id: newId("re", now.getTime()),
        paymentId: payment.id,
        organizationId: payment.organizationId,
        provider: payment.provider,
        providerRefundId: result.providerRefundId,
        amount: part,
        currency: payment.currency,
        reason,
        createdAt: now,
      })
      .onConflictDoNothing();
    await executor
      .update(payments)
      .set({
        amountRefunded: total,
        status: total === payment.amount ? "refunded" : payment.status,
      })
      .where(eq(payments.id, payment.id));
    if (payment.invoiceId) {
      await executor
        .update(invoices)
        .set({ amountRefunded: sql`${invoices.amountRefunded} + ${part}` })
        .where(eq(invoices.id, payment.invoiceId));
    }
    await publishEvent({
      executor,
      type: "payment.refunded",
      organizationId: payment.organizationId,
      data: {
        paymentId: payment.id,
        invoiceId: payment.invoiceId,
        refunded: part,
        amountRefunded: total,
        currency: payment.currency,
        creditNoteId,
      },
      now,
      queueName,
    });
    refunded.push({
      paymentId: payment.id,
      invoiceId: payment.invoiceId,
      provider: payment.provider,
      providerRefundId: result.providerRefundId,
      refunded: part,
    });
    left -= part;
  }
  if (left > 0n) {
    throw new AbonoError(
      "invalid_state",
      `Only ${amount - left} of ${amount} (minor units) can go back to the payment method: no other payment of the organization has money left to refund. Nothing was changed.`,
      { refundable: toNumber(amount - left) },
    );
  }
  return refunded;
}
