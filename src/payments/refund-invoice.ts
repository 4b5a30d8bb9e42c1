import { and, eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import type { Executor } from "../db/database.ts";
import { type CreditDestination, invoiceLines, invoices } from "../db/schema/index.ts";
import { invalidState, notFound } from "../errors.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { appendBalanceTransaction } from "../invoicing/balance-ledger.ts";
import { computeRefundLines } from "../invoicing/compute-refund-lines.ts";
import {
  getInvoice,
  type Invoice,
  invoiceLineRows,
  newInvoiceId,
  nextInvoiceNumber,
  publishInvoiceCreated,
} from "../invoicing/invoices.ts";
import { resolveIssuer } from "../invoicing/issuer.ts";
import { toNumber } from "../money/index.ts";
import { customerDetailsOf } from "../organizations/billing-details.ts";
import { type RefundedPayment, refundablePayments, refundPayments } from "./refund-payments.ts";

export interface InvoiceRefund {
  creditNote: Invoice;
  refunds: RefundedPayment[];
  /** What can still be refunded of the invoice after this refund. */
  refundable: bigint;
  auditLogId: string;
}

/**
 * What is left to refund of an invoice: what was paid for it (by the payment method and by the credit
 * balance) less what was refunded already, to the payment method (by this route or at the provider) or to
 * the balance (the `refund` credit notes that correct it).
 */
export async function refundableAmount({
  executor,
  invoice,
}: {
  executor: Executor;
  invoice: Invoice;
}): Promise<{ refundable: bigint; toPaymentMethod: bigint }> {
  const [row] = await executor
    .select({ sum: sql<string>`coalesce(sum(${invoices.creditedToBalance}), 0)::text` })
    .from(invoices)
    .where(
      and(
        eq(invoices.documentType, "credit_note"),
        eq(invoices.billingReason, "refund"),
        sql`${invoice.id} = any(${invoices.correctsInvoiceIds})`,
      ),
    );
  const refundedToBalance = BigInt(row?.sum ?? "0");
  const paid = invoice.amountPaid + invoice.balanceApplied;
  const refundable = paid - invoice.amountRefunded - refundedToBalance;
  const toPaymentMethod = invoice.amountPaid - invoice.amountRefunded;
  return {
    refundable: refundable < 0n ? 0n : refundable,
    toPaymentMethod: toPaymentMethod < refundable ? toPaymentMethod : refundable,
  };
}

/**
 * Root refunds a paid invoice, fully or in part (docs/billing.md "Refunds"): to the payment method
 * (through the provider that took the payment) or to the credit balance (a `refund_to_balance` ledger
 * entry). Either way a credit note is issued, numbered in the credit notes' sequence, whose lines reverse
 * the invoice's lines and their tax in proportion (`computeRefundLines`). Runs as a billing operation:
 * the organization's lock serializes refunds, so the refunds of an invoice never add up to more than was
 * paid for it. Audited (`invoice.refunded`), with `credit_note.created`, `payment.refunded` and
 * `balance.changed` published in the same transaction.
 */
export async function refundInvoice({
  services,
  invoiceId,
  amount,
  to,
  reason,
  actor,
  systemNow,
}: {
  services: BillingServices;
  invoiceId: string;
  /** Minor units, tax included; the whole refundable amount when undefined. */
  amount: bigint | undefined;
  to: CreditDestination;
  reason: string;
  actor: string;
  systemNow: Date;
}): Promise<InvoiceRefund> {
  const found = await getInvoice({ executor: services.db, invoiceId });
  return runBillingOperation({
    services,
    organizationId: found.organizationId,
    systemNow,
    actor,
    async operation({ tx, organization, now, queueName }) {
      const invoice = await getInvoice({ executor: tx, invoiceId });
      if (invoice.documentType !== "invoice") {
        throw invalidState(
          `${invoice.number ?? invoice.id} is a credit note; only invoices are refunded.`,
        );
      }
      if (invoice.status !== "paid" || invoice.total <= 0n) {
        throw invalidState(
          `Invoice ${invoice.number ?? invoice.id} is ${invoice.status} with a total of ${invoice.total} (minor units, ${invoice.currency}): only a paid invoice with a positive total is refunded.`,
          { status: invoice.status, total: invoice.total.toString() },
        );
      }
      const { refundable, toPaymentMethod } = await refundableAmount({ executor: tx, invoice });
      const limit = to === "payment_method" ? toPaymentMethod : refundable;
      const refund = amount ?? limit;
      if (refund <= 0n || refund > limit) {
        throw invalidState(
          limit === 0n
            ? `Nothing of invoice ${invoice.number} can be refunded${to === "payment_method" ? " to the payment method" : ""}: ${refundable === 0n ? "it was refunded in full already, or nothing was paid for it" : "it was paid with the credit balance; refund it to the balance"}.`
            : `A refund of ${refund} (minor units, ${invoice.currency}) is more than can be refunded of invoice ${invoice.number}${to === "payment_method" ? " to the payment method" : ""}: at most ${limit}.`,
          {
            refundable: toNumber(refundable),
            refundableToPaymentMethod: toNumber(toPaymentMethod),
            currency: invoice.currency,
          },
        );
      }
      const computed = computeRefundLines({
        lines: invoice.lines,
        invoiceTotal: invoice.total,
        refund,
      });
      const creditNoteId = newInvoiceId(now);
      const candidates =
        to === "payment_method"
          ? await refundablePayments({
              executor: tx,
              organizationId: invoice.organizationId,
              invoiceId: invoice.id,
            })
          : [];
      const refunds =
        to === "payment_method"
          ? await refundPayments({
              executor: tx,
              providers: services.providers,
              candidates,
              amount: refund,
              reason,
              creditNoteId,
              fallbackKey: `abono-${creditNoteId}`,
              now,
              queueName,
            })
          : [];
      const number = await nextInvoiceNumber({
        executor: tx,
        prefix: services.config.creditNotePrefix,
      });
      const [row] = await tx
        .insert(invoices)
        .values({
          id: creditNoteId,
          number,
          organizationId: invoice.organizationId,
          subscriptionId: invoice.subscriptionId,
          kind: invoice.kind,
          documentType: "credit_note",
          status: "paid",
          billingReason: "refund",
          currency: invoice.currency,
          locale: invoice.locale,
          subtotal: computed.totals.subtotal,
          discount: 0n,
          tax: computed.totals.tax,
          taxIncluded: computed.totals.taxIncluded,
          total: computed.totals.total,
          balanceApplied: 0n,
          creditedToBalance: to === "balance" ? refund : 0n,
          amountDue: 0n,
          amountPaid: 0n,
          amountRefunded: to === "payment_method" ? refund : 0n,
          couponCode: null,
          reverseCharge: invoice.reverseCharge,
          correctsInvoiceIds: [invoice.id],
          creditedTo: to,
          reason,
          customerDetails: customerDetailsOf(organization),
          issuerDetails: await resolveIssuer({
            executor: tx,
            defaults: services.config.issuer,
          }),
          periodStart: invoice.periodStart,
          periodEnd: invoice.periodEnd,
          createdAt: now,
          finalizedAt: now,
          paidAt: now,
        })
        .returning();
      if (!row) throw notFound("Credit note", creditNoteId);
      const lines = await tx
        .insert(invoiceLines)
        .values(
          invoiceLineRows({
            invoiceId: row.id,
            organizationId: row.organizationId,
            lines: computed.lines.map((line, position) => ({
              ...line,
              invoiceId: row.id,
              organizationId: row.organizationId,
              position,
            })),
          }),
        )
        .returning();
      await publishInvoiceCreated({ executor: tx, invoice: row, now });
      if (to === "balance") {
        await appendBalanceTransaction({
          executor: tx,
          organizationId: invoice.organizationId,
          amount: refund,
          currency: invoice.currency,
          type: "refund_to_balance",
          invoiceId: row.id,
          description: billingMessages(organization.locale).creditFromInvoice({ number }),
          actor,
          now,
        });
      }
      const auditLogId = await recordAudit({
        executor: tx,
        entry: {
          action: "invoice.refunded",
          actor,
          organizationId: invoice.organizationId,
          reason,
          before: { invoiceId: invoice.id, refundable },
          after: { invoiceId: invoice.id, refundable: refundable - refund },
          metadata: {
            creditNoteId: row.id,
            creditNoteNumber: number,
            amount: refund,
            currency: invoice.currency,
            to,
            refunds: refunds.map((entry) => ({
              paymentId: entry.paymentId,
              provider: entry.provider,
              providerRefundId: entry.providerRefundId,
              amount: entry.refunded,
            })),
          },
        },
        now,
      });
      return {
        creditNote: { ...row, lines },
        refunds,
        refundable: refundable - refund,
        auditLogId,
      };
    },
  });
}
