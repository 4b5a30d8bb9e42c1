import type { Executor } from "../db/database.ts";
import { payments } from "../db/schema/index.ts";
import { invalidState } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages, localeOf } from "../i18n/billing-messages.ts";
import { nextProviderChargeKey } from "../idempotency/idempotency-context.ts";
import { newId } from "../ids.ts";
import {
  type Invoice,
  markInvoicePaid,
  type NumberPrefixes,
  numberInvoice,
} from "../invoicing/invoices.ts";
import { defaultPaymentMethod, type PaymentMethod } from "./payment-methods.ts";
import type { ChargeFailureCode, ChargeRequest, ChargeResult } from "./payment-provider.ts";
import type { PaymentProviders } from "./payment-providers.ts";

export interface FailedAttempt {
  paymentId: string;
  provider: string;
  paymentMethodId: string | null;
  providerPaymentId: string | null;
  code: ChargeFailureCode;
  message: string;
  /** The provider may have charged (see `ChargeResult`). */
  outcomeUnknown: boolean;
}

export interface SucceededCharge {
  provider: string;
  providerPaymentId: string;
  amount: bigint;
  currency: string;
}

/** `invoice`: the invoice as it stands after the charge (paid, or as it was when nothing was due). */
export type ChargeOutcome = { ok: true; invoice: Invoice } | { ok: false; attempt: FailedAttempt };

/**
 * Charges an invoice's amount due to the organization's default payment method. On success an invoice
 * still unnumbered (see `issueInvoice`'s `numberAfterCharge`) is numbered, then the payment is recorded
 * and the invoice marked paid (with `invoice.paid` published), in the caller's transaction. A decline is
 * returned, not thrown, with the invoice as it was: the caller decides whether it voids the operation
 * (plan changes) or numbers it and leaves it open for dunning (renewals).
 */
export async function chargeInvoice({
  executor,
  providers,
  invoice,
  charges,
  prefixes,
  queueName,
  now,
}: {
  executor: Executor;
  providers: PaymentProviders;
  invoice: Invoice;
  /** Successful charges of the running operation, refunded if it fails later. */
  charges: SucceededCharge[];
  /** Numbers an unnumbered invoice once the charge went through. */
  prefixes: NumberPrefixes;
  queueName?: string | undefined;
  now: Date;
}): Promise<ChargeOutcome> {
  if (invoice.amountDue === 0n) {
    return { ok: true, invoice: await numberInvoice({ executor, invoice, prefixes }) };
  }
  const paymentId = newId("pay", now.getTime());
  const method = await defaultPaymentMethod({ executor, organizationId: invoice.organizationId });
  const providerName = method?.provider ?? "none";
  const result = await chargeMethod({
    providers,
    method,
    request: {
      amount: invoice.amountDue,
      currency: invoice.currency,
      paymentId,
      invoiceId: invoice.id,
      organizationId: invoice.organizationId,
      description: billingMessages(localeOf(invoice.locale)).invoiceCharge({
        reference: invoice.number ?? invoice.id,
      }),
      idempotencyKey: nextProviderChargeKey(invoice.organizationId) ?? undefined,
    },
  });
  if (result.status === "failed") {
    return {
      ok: false,
      attempt: {
        paymentId,
        provider: providerName,
        paymentMethodId: method?.id ?? null,
        providerPaymentId: result.providerPaymentId,
        code: result.code,
        message: result.message,
        outcomeUnknown: result.outcomeUnknown === true,
      },
    };
  }
  charges.push({
    provider: providerName,
    providerPaymentId: result.providerPaymentId,
    amount: invoice.amountDue,
    currency: invoice.currency,
  });
  const paid = await recordInvoicePayment({
    executor,
    invoice: await numberInvoice({ executor, invoice, prefixes }),
    payment: {
      id: paymentId,
      paymentMethodId: method?.id ?? null,
      provider: providerName,
      providerPaymentId: result.providerPaymentId,
    },
    queueName,
    now,
  });
  return { ok: true, invoice: paid };
}

/**
 * Charges a stored payment method through its provider. No method, or a method whose provider is not
 * configured here, is a charge that cannot be attempted: a failure with code `no_payment_method` and a
 * message saying so and how to add a payment method (see `noPaymentMethodMessage`).
 */
export async function chargeMethod({
  providers,
  method,
  request,
}: {
  providers: PaymentProviders;
  method: Pick<PaymentMethod, "provider" | "token"> | null;
  request: Omit<ChargeRequest, "token">;
}): Promise<ChargeResult> {
  const provider = method ? providers.get(method.provider) : undefined;
  if (!method || !provider) {
    return {
      status: "failed",
      code: "no_payment_method",
      message: noPaymentMethodMessage({
        organizationId: request.organizationId,
        unavailableProvider: method?.provider ?? null,
      }),
      providerPaymentId: null,
    };
  }
  return provider.charge({ ...request, token: method.token });
}

/**
 * Why a charge could not be attempted, and what to do: the organization has no payment method, or its
 * default one is at a provider this server has not configured.
 */
export function noPaymentMethodMessage({
  organizationId,
  unavailableProvider,
}: {
  organizationId: string;
  unavailableProvider: string | null;
}): string {
  const add = `POST /v1/organizations/${organizationId}/payment-methods`;
  return unavailableProvider === null
    ? `Organization ${organizationId} has no payment method, so no charge was attempted. Add one with ${add} (the first one becomes the default).`
    : `The default payment method of organization ${organizationId} is at ${unavailableProvider}, which is not configured on this server, so no charge was attempted. Add a payment method at a configured provider with ${add} and "default": true, or configure ${unavailableProvider}.`;
}

/**
 * Records a payment made at a provider before the operation (a paid checkout) against the invoice it
 * pays. The amounts must agree exactly; the payment row is unique on (provider, provider payment id).
 */
export async function recordPrepaidPayment({
  executor,
  invoice,
  prepaid,
  prefixes,
  queueName,
  now,
}: {
  executor: Executor;
  invoice: Invoice;
  prepaid: { provider: string; providerPaymentId: string; amount: bigint; currency: string };
  /** Numbers an unnumbered invoice before its payment is recorded. */
  prefixes: NumberPrefixes;
  queueName?: string | undefined;
  now: Date;
}): Promise<{ paymentId: string; invoiceId: string; invoice: Invoice }> {
  if (invoice.amountDue !== prepaid.amount || invoice.currency !== prepaid.currency) {
    throw invalidState(
      `The payment at ${prepaid.provider} (${prepaid.amount} ${prepaid.currency}) does not match the invoice's amount due (${invoice.amountDue} ${invoice.currency}).`,
      { providerPaymentId: prepaid.providerPaymentId, amountDue: invoice.amountDue },
    );
  }
  const paymentId = newId("pay", now.getTime());
  const paid = await recordInvoicePayment({
    executor,
    invoice: await numberInvoice({ executor, invoice, prefixes }),
    payment: {
      id: paymentId,
      paymentMethodId: null,
      provider: prepaid.provider,
      providerPaymentId: prepaid.providerPaymentId,
    },
    queueName,
    now,
  });
  return { paymentId, invoiceId: invoice.id, invoice: paid };
}

/**
 * A successful payment of an invoice's amount due: the payment row (unique on provider and provider
 * payment id), the invoice paid and `invoice.paid` published, in the caller's transaction. A zero amount
 * (a prepaid direct activation) is recorded without touching the invoice. Answers the invoice as it
 * stands afterwards, so the caller need not read it back.
 */
async function recordInvoicePayment({
  executor,
  invoice,
  payment,
  queueName,
  now,
}: {
  executor: Executor;
  invoice: Invoice;
  payment: {
    id: string;
    paymentMethodId: string | null;
    provider: string;
    providerPaymentId: string;
  };
  queueName: string | undefined;
  now: Date;
}): Promise<Invoice> {
  await executor.insert(payments).values({
    ...payment,
    organizationId: invoice.organizationId,
    invoiceId: invoice.id,
    amount: invoice.amountDue,
    currency: invoice.currency,
    status: "succeeded",
    createdAt: now,
  });
  if (invoice.amountDue === 0n) return invoice;
  const paid = await markInvoicePaid({
    executor,
    invoiceId: invoice.id,
    amountPaid: invoice.amountDue,
    now,
  });
  await publishEvent({
    executor,
    type: "invoice.paid",
    organizationId: invoice.organizationId,
    data: {
      invoiceId: invoice.id,
      number: invoice.number,
      amountPaid: invoice.amountDue,
      currency: invoice.currency,
      provider: payment.provider,
      paymentId: payment.id,
    },
    now,
    queueName,
  });
  return { ...paid, lines: invoice.lines };
}

/** Keeps a declined attempt on record. */
export async function recordFailedPayment({
  executor,
  invoice,
  attempt,
  now,
}: {
  executor: Executor;
  invoice: Invoice;
  attempt: FailedAttempt;
  now: Date;
}): Promise<void> {
  await executor.insert(payments).values({
    id: attempt.paymentId,
    organizationId: invoice.organizationId,
    invoiceId: invoice.id,
    paymentMethodId: attempt.paymentMethodId,
    provider: attempt.provider,
    providerPaymentId: attempt.providerPaymentId,
    amount: invoice.amountDue,
    currency: invoice.currency,
    status: "failed",
    failureCode: attempt.code,
    failureMessage: attempt.message,
    createdAt: now,
  });
}
