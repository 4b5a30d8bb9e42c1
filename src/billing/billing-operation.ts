import { and, eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Config } from "../config.ts";
import type { Database, Transaction } from "../db/database.ts";
import { payments } from "../db/schema/index.ts";
import { AbonoError, conflict, invalidState } from "../errors.ts";
import { publishEvent, publishingAtOnce } from "../events/publish-event.ts";
import { IdempotencyClaimLostError } from "../idempotency/idempotency-store.ts";
import { newId } from "../ids.ts";
import { type Invoice, numberInvoice, recordVoidedInvoice } from "../invoicing/invoices.ts";
import { queueForScope } from "../jobs/scheduler.ts";
import type { Logger } from "../logger.ts";
import { toNumber } from "../money/index.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import type { OrganizationRecord } from "../organizations/organization-record.ts";
import {
  chargeInvoice,
  type FailedAttempt,
  recordFailedPayment,
  recordPrepaidPayment,
  type SucceededCharge,
} from "../payments/charge-invoice.ts";
import type { PaymentProviders } from "../payments/payment-providers.ts";
import type { TaxCalculator } from "../taxes/tax-calculator.ts";

export interface BillingServices {
  db: Database;
  providers: PaymentProviders;
  config: Config;
  logger: Logger;
  /** Computes invoices' taxes (docs/billing.md "Taxes"); wired once at the composition root. */
  taxCalculator: TaxCalculator;
}

export interface BillingContext {
  tx: Transaction;
  organization: OrganizationRecord;
  /** The organization's time (its test clock's, if any), read once. */
  now: Date;
  /** The queue for jobs of this organization (its test clock's queue, if any). */
  queueName: string | undefined;
  services: BillingServices;
  /**
   * Charges the invoice now; a decline aborts the whole operation with 402 (see `runBillingOperation`).
   * Answers the invoice as it stands after the charge: numbered (see `issueInvoice`'s
   * `numberAfterCharge`), and paid unless nothing was due.
   */
  chargeOrAbort(invoice: Invoice): Promise<Invoice>;
  /**
   * Charges the invoice; a decline is recorded and the invoice stays open (renewals, dunning). Either way
   * an unnumbered invoice is numbered. `at` dates the attempt when the work belongs to an earlier instant
   * than `now` (a test clock that jumped ahead).
   */
  chargeOrKeepOpen(invoice: Invoice, at?: Date): Promise<boolean>;
}

/**
 * A payment the customer already made at a provider (a checkout paid by webhook or capture). The
 * operation's charge records it instead of charging a stored method; its invoice must come to exactly
 * this amount.
 */
export interface PrepaidPayment {
  provider: string;
  providerPaymentId: string;
  amount: bigint;
  currency: string;
  /** Set by the operation once the payment is recorded against an invoice. */
  applied?: { paymentId: string; invoiceId: string };
  /** Set by the operation when it finds the payment recorded already (a repeated delivery). */
  recordedBefore?: boolean;
}

/** Thrown by `chargeOrAbort` in a quote: the invoice the operation would charge, never written. */
class QuotedInvoice extends Error {
  constructor(readonly invoice: Invoice) {
    super("quote");
  }
}

/** Thrown inside an operation when a payment is declined; carries what to keep on record. */
class PaymentDeclined extends Error {
  constructor(
    readonly invoice: Invoice,
    readonly attempt: FailedAttempt,
  ) {
    super(attempt.message);
  }
}

/**
 * Runs a money operation for one organization: one transaction holding the organization's row lock (so
 * operations on one organization are serialized and each sees the previous one's result), with "now" read
 * from its clock. If a payment is declined the transaction is rolled back (the subscription, balance and
 * entitlements stay exactly as they were), then the declined invoice is recorded as `void` with the
 * attempt, and the caller gets 402 `payment_failed`. If anything else fails after a successful charge,
 * that charge is refunded.
 */
export async function runBillingOperation<Result>({
  services,
  organizationId,
  systemNow,
  actor,
  operation,
  prepaid,
  quote = false,
}: {
  services: BillingServices;
  organizationId: string;
  systemNow: Date;
  actor: string;
  operation(context: BillingContext): Promise<Result>;
  /** The payment success pipeline: the charge is already made (see `PrepaidPayment`). */
  prepaid?: PrepaidPayment;
  /** Stop at the first charge and roll back (see `quoteBillingOperation`). */
  quote?: boolean;
}): Promise<Result> {
  const { db, providers, config, logger } = services;
  const charges: SucceededCharge[] = [];
  try {
    return await db.transaction(async (tx) => {
      const { organization, now } = await lockOrganization({ tx, organizationId, systemNow });
      if (organization.provisioningStatus !== "active") {
        throw invalidState(
          `Organization ${organizationId} is not provisioned (provisioning is ${organization.provisioningStatus}).`,
        );
      }
      const queueName = queueForScope({ testClockId: organization.testClockId });
      const prefixes = config;
      const charge = (invoice: Invoice, at: Date) =>
        chargeInvoice({ executor: tx, providers, invoice, charges, prefixes, queueName, now: at });
      // The operation's events are written in one statement when it is done (see publishingAtOnce).
      const result = await publishingAtOnce(tx, () =>
        operation({
          tx,
          organization,
          now,
          queueName,
          services,
          async chargeOrAbort(invoice) {
            if (quote) throw new QuotedInvoice(invoice);
            if (prepaid) {
              const { invoice: paid, ...applied } = await recordPrepaidPayment({
                executor: tx,
                invoice,
                prepaid,
                prefixes,
                queueName,
                now,
              });
              prepaid.applied = applied;
              return paid;
            }
            const outcome = await charge(invoice, now);
            if (!outcome.ok && outcome.attempt.outcomeUnknown) {
              // Not a decline: the customer may have been charged. Nothing is committed; a retry with the
              // same Idempotency-Key sends the same provider key and finds out.
              throw new AbonoError(
                "provider_error",
                `The payment provider did not say whether the payment of ${invoice.amountDue} (minor units, ${invoice.currency}) went through: ${outcome.attempt.message} Nothing was changed; retry with the same Idempotency-Key.`,
                { provider: outcome.attempt.provider },
              );
            }
            if (!outcome.ok) throw new PaymentDeclined(invoice, outcome.attempt);
            return outcome.invoice;
          },
          async chargeOrKeepOpen(invoice, at = now) {
            if (quote) throw new QuotedInvoice(invoice);
            const outcome = await charge(invoice, at);
            if (outcome.ok) return true;
            // Declined, the invoice stays open for dunning: numbered like any other.
            const numbered = await numberInvoice({ executor: tx, invoice, prefixes });
            await recordDecline({
              tx,
              invoice: numbered,
              attempt: outcome.attempt,
              now: at,
              queueName,
            });
            return false;
          },
        }),
      );
      if (prepaid && prepaid.amount > 0n && !prepaid.applied && !prepaid.recordedBefore) {
        throw invalidState(
          `The payment of ${prepaid.amount} (minor units, ${prepaid.currency}) at ${prepaid.provider} matches no invoice of this operation.`,
          { providerPaymentId: prepaid.providerPaymentId },
        );
      }
      return result;
    });
  } catch (error) {
    if (error instanceof QuotedInvoice) throw error;
    if (error instanceof PaymentDeclined && error.attempt.code === "no_payment_method") {
      throw await recordNotAttempted({ db, organizationId, systemNow, actor, declined: error });
    }
    if (error instanceof PaymentDeclined) {
      const voided = await db.transaction(async (tx) => {
        const { organization, now } = await lockOrganization({ tx, organizationId, systemNow });
        const queueName = queueForScope({ testClockId: organization.testClockId });
        const invoice = await recordVoidedInvoice({
          executor: tx,
          invoice: error.invoice,
          numberPrefix: config.invoicePrefix,
          now,
        });
        await recordDecline({ tx, invoice, attempt: error.attempt, now, queueName });
        await recordAudit({
          executor: tx,
          entry: {
            action: "payment.failed",
            actor,
            organizationId,
            after: { invoiceId: invoice.id, amount: invoice.amountDue, code: error.attempt.code },
          },
          now,
        });
        return invoice;
      });
      throw new AbonoError(
        "payment_failed",
        `The payment of ${voided.amountDue} (minor units, ${voided.currency}) was declined: ${error.attempt.message} Nothing was changed.`,
        { invoiceId: voided.id, reason: "declined", declineCode: error.attempt.code },
      );
    }
    if (error instanceof IdempotencyClaimLostError) {
      // The charges were made under the request's provider key: the execution that took the key over
      // sends the same key and records the same provider payment, so refunding here would take back a
      // payment it keeps. Logged for reconciliation in case no execution ever records them.
      if (charges.length > 0) {
        logger.error(
          { organizationId, charges },
          "a request that lost its Idempotency-Key charged before its commit was refused; the attempt that took the key over reuses these provider payments (refund any that no payment on record names)",
        );
      }
      throw error;
    }
    const kept = await refundCharges({ db, providers, logger, charges, organizationId, systemNow });
    if (kept.length > 0) {
      throw conflict(
        `An earlier attempt of this request already made and recorded this payment (${kept.map((charge) => `${charge.provider} ${charge.providerPaymentId}`).join(", ")}), and its response was lost. Nothing else was changed; see the organization's invoices.`,
        { providerPaymentIds: kept.map((charge) => charge.providerPaymentId) },
      );
    }
    throw error;
  }
}

/**
 * A charge that could not even be attempted (no payment method, or its provider is not configured): not
 * a decline. The operation was rolled back, and no invoice is recorded, so no invoice number is used (an
 * invoice whose payment was never tried would be a numbered document for nothing). An audit entry keeps
 * the refusal; the caller gets 402 `payment_failed` with `reason: "no_payment_method"` and how to add one.
 */
async function recordNotAttempted({
  db,
  organizationId,
  systemNow,
  actor,
  declined,
}: {
  db: Database;
  organizationId: string;
  systemNow: Date;
  actor: string;
  declined: PaymentDeclined;
}): Promise<AbonoError> {
  const { invoice, attempt } = declined;
  await db.transaction(async (tx) => {
    const { now } = await lockOrganization({ tx, organizationId, systemNow });
    await recordAudit({
      executor: tx,
      entry: {
        action: "payment.failed",
        actor,
        organizationId,
        after: {
          invoiceId: null,
          amount: invoice.amountDue,
          currency: invoice.currency,
          code: attempt.code,
          billingReason: invoice.billingReason,
        },
      },
      now,
    });
  });
  return new AbonoError(
    "payment_failed",
    `No payment was attempted for ${invoice.amountDue} (minor units, ${invoice.currency}): ${attempt.message} Nothing was changed.`,
    {
      reason: "no_payment_method",
      amountDue: toNumber(invoice.amountDue),
      currency: invoice.currency,
    },
  );
}

/** A declined attempt kept on record, with `invoice.payment_failed` published. */
async function recordDecline({
  tx,
  invoice,
  attempt,
  now,
  queueName,
}: {
  tx: Transaction;
  invoice: Invoice;
  attempt: FailedAttempt;
  now: Date;
  queueName: string | undefined;
}): Promise<void> {
  await recordFailedPayment({ executor: tx, invoice, attempt, now });
  await publishEvent({
    executor: tx,
    type: "invoice.payment_failed",
    organizationId: invoice.organizationId,
    data: {
      invoiceId: invoice.id,
      code: attempt.code,
      paymentId: attempt.paymentId,
      amount: invoice.amountDue,
      currency: invoice.currency,
    },
    now,
    queueName,
  });
}

/**
 * Refunds the successful charges of an operation whose transaction failed afterwards (so no payment of
 * them is on record by this operation). A charge on record as another execution's payment (the same
 * request executed again, answered with the same provider payment) is kept and returned. A refund that fails is logged for an operator; the others still go ahead.
 */
export async function refundCharges({
  db,
  providers,
  logger,
  charges,
  organizationId,
  systemNow,
}: {
  db: Database;
  providers: PaymentProviders;
  logger: Logger;
  charges: readonly SucceededCharge[];
  /** The operation's organization; null for a batch, whose charges name their own. */
  organizationId: string | null;
  systemNow: Date;
}): Promise<SucceededCharge[]> {
  const kept: SucceededCharge[] = [];
  for (const charge of charges) {
    try {
      if (await isPaymentOnRecord({ db, charge })) {
        // Another execution of the same request recorded this very provider payment (it was answered
        // with it under the request's provider idempotency key): it is paid for, not to be refunded.
        logger.warn(
          { organizationId, charge },
          "kept a charge whose operation failed: the provider payment is on record for another execution",
        );
        kept.push(charge);
        continue;
      }
      await providers.get(charge.provider)?.refund({
        providerPaymentId: charge.providerPaymentId,
        amount: charge.amount,
        currency: charge.currency,
        refundId: newId("pay", systemNow.getTime()),
      });
      logger.warn({ organizationId, charge }, "refunded a charge whose operation failed");
    } catch (refundError) {
      logger.error(
        { organizationId, charge, err: refundError },
        "could not refund a charge whose operation failed",
      );
    }
  }
  return kept;
}

async function isPaymentOnRecord({
  db,
  charge,
}: {
  db: Database;
  charge: SucceededCharge;
}): Promise<boolean> {
  const [found] = await db
    .select({ id: payments.id })
    .from(payments)
    .where(
      and(
        eq(payments.provider, charge.provider),
        eq(payments.providerPaymentId, charge.providerPaymentId),
        eq(payments.status, "succeeded"),
      ),
    )
    .limit(1);
  return found !== undefined;
}

/**
 * Runs an operation as a quote: the same code, stopped where it would charge, and rolled back. Returns
 * the invoice it would have charged (amounts, lines, discount), so a checkout asks for exactly what the
 * operation will invoice.
 */
export async function quoteBillingOperation({
  operation,
  ...rest
}: {
  services: BillingServices;
  organizationId: string;
  systemNow: Date;
  actor: string;
  operation(context: BillingContext): Promise<unknown>;
}): Promise<Invoice> {
  const invoice = await quotedInvoice(() =>
    runBillingOperation({ ...rest, operation, quote: true }),
  );
  if (invoice === null) throw invalidState("The operation ended without an invoice to quote.");
  return invoice;
}

/** The invoice a billing operation run with `quote: true` stopped at, or null if it charged nothing. */
export async function quotedInvoice(run: () => Promise<unknown>): Promise<Invoice | null> {
  try {
    await run();
  } catch (error) {
    if (error instanceof QuotedInvoice) return error.invoice;
    throw error;
  }
  return null;
}
