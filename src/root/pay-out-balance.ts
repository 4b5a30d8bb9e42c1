import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { invalidState } from "../errors.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { newId } from "../ids.ts";
import {
  appendBalanceTransaction,
  availableBalance,
  type BalanceTransaction,
} from "../invoicing/balance-ledger.ts";
import { toNumber } from "../money/index.ts";
import {
  type RefundedPayment,
  refundablePayments,
  refundPayments,
} from "../payments/refund-payments.ts";

export interface BalancePayout {
  transaction: BalanceTransaction;
  refunds: RefundedPayment[];
  /** The balance after the payout. */
  available: bigint;
  currency: string;
  auditLogId: string;
}

/**
 * Root pays an organization's credit balance out to its payment method (docs/billing.md "Payouts"), e.g.
 * when it cancels: `amount` (all of the balance when undefined) is refunded through the providers of the
 * organization's most recent payments that still have money to give back, and consumed from the balance
 * with a `payout` ledger entry. The credit itself was documented by the credit notes that created it, so
 * no new credit note is issued. Runs as a billing operation (the organization's lock): the balance read is
 * the balance paid out, never more. Audited (`balance.paid_out`), with `payment.refunded` and
 * `balance.changed` in the same transaction.
 */
export async function payOutBalance({
  services,
  organizationId,
  amount,
  reason,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  amount: bigint | undefined;
  reason: string;
  actor: string;
  systemNow: Date;
}): Promise<BalancePayout> {
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation({ tx, organization, now, queueName }) {
      const available = await availableBalance({ executor: tx, organizationId });
      const currency = organization.currency;
      const payout = amount ?? available;
      if (currency === null || available <= 0n) {
        throw invalidState(`Organization ${organizationId} has no credit balance to pay out.`, {
          available: toNumber(available),
        });
      }
      if (payout <= 0n || payout > available) {
        throw invalidState(
          `A payout of ${payout} (minor units, ${currency}) is more than the credit balance of ${organizationId}: at most ${available}.`,
          { available: toNumber(available), currency },
        );
      }
      const payoutId = newId("txn", now.getTime());
      const candidates = await refundablePayments({ executor: tx, organizationId });
      const refunds = await refundPayments({
        executor: tx,
        providers: services.providers,
        candidates: candidates.filter((payment) => payment.currency === currency),
        amount: payout,
        reason,
        creditNoteId: null,
        fallbackKey: `abono-${payoutId}`,
        now,
        queueName,
      });
      const transaction = await appendBalanceTransaction({
        executor: tx,
        organizationId,
        amount: -payout,
        currency,
        type: "payout",
        invoiceId: null,
        description: billingMessages(organization.locale).paidOut({
          reference: refunds.map((refund) => refund.providerRefundId).join(", "),
        }),
        actor,
        now,
      });
      const auditLogId = await recordAudit({
        executor: tx,
        entry: {
          action: "balance.paid_out",
          actor,
          organizationId,
          reason,
          before: { available, currency },
          after: { available: available - payout, currency },
          metadata: {
            transactionId: transaction.id,
            amount: payout,
            refunds: refunds.map((refund) => ({
              paymentId: refund.paymentId,
              provider: refund.provider,
              providerRefundId: refund.providerRefundId,
              amount: refund.refunded,
            })),
          },
        },
        now,
      });
      return {
        transaction,
        refunds,
        available: available - payout,
        currency,
        auditLogId,
      };
    },
  });
}
