import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { fixBillingCurrency } from "../billing/fix-billing-currency.ts";
import { invalidState, validationError } from "../errors.ts";
import {
  appendBalanceTransaction,
  availableBalance,
  type BalanceTransaction,
} from "../invoicing/balance-ledger.ts";
import { isSupportedCurrency } from "../money/index.ts";

const balanceAdjustmentAuditAction = "root.balance_adjusted";
/** Amounts leave the API as JSON numbers (`toNumber`): a balance above this could never be shown again. */
const largestBalance = BigInt(Number.MAX_SAFE_INTEGER);

export interface BalanceAdjustment {
  transaction: BalanceTransaction;
  /** The balance after the adjustment. */
  available: bigint;
  currency: string;
  auditLogId: string;
}

/**
 * Root credits (amount > 0) or debits (amount < 0) an organization's credit balance with an `adjustment`
 * ledger entry (docs/billing.md "Credit balance"). Runs as a billing operation: the organization's row lock
 * is held, so the balance read is the balance written against, and it never goes below zero. The entry is
 * in the organization's billing currency; an organization without one yet gets the currency given here.
 */
export async function adjustBalance({
  services,
  organizationId,
  amount,
  currency,
  reason,
  description,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  amount: bigint;
  currency: string | undefined;
  reason: string;
  description: string | undefined;
  actor: string;
  systemNow: Date;
}): Promise<BalanceAdjustment> {
  if (amount === 0n) throw validationError("amount: must not be zero.");
  if (currency !== undefined && !isSupportedCurrency(currency)) {
    throw validationError(
      `currency: "${currency}" is not an ISO 4217 currency with a known number of decimals; use a code such as USD, EUR or CLP.`,
    );
  }
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation({ tx, organization, now }) {
      const established = organization.currency;
      if (established !== null && currency !== undefined && currency !== established) {
        throw validationError(
          `currency: organization ${organizationId} is billed in ${established}; adjust its balance in ${established} (or leave currency out).`,
          { organizationCurrency: established },
        );
      }
      const resolved = established ?? currency;
      if (resolved === undefined) {
        throw validationError(
          `currency: organization ${organizationId} has no billing currency yet; say which with "currency" (it becomes the organization's billing currency).`,
        );
      }
      await fixBillingCurrency({ executor: tx, organization, currency: resolved, now });
      const before = await availableBalance({ executor: tx, organizationId });
      const after = before + amount;
      if (after > largestBalance) {
        throw invalidState(
          `The adjustment would take the credit balance of ${organizationId} past ${largestBalance} minor units, the largest amount the API can report; the largest credit now is ${largestBalance - before}.`,
          { available: before.toString(), amount: amount.toString(), currency: resolved },
        );
      }
      if (after < 0n) {
        throw invalidState(
          `The adjustment would make the credit balance negative: ${organizationId} has ${before} (minor units, ${resolved}) available, so the largest debit is ${-before}.`,
          { available: before.toString(), amount: amount.toString(), currency: resolved },
        );
      }
      const transaction = await appendBalanceTransaction({
        executor: tx,
        organizationId,
        amount,
        currency: resolved,
        type: "adjustment",
        invoiceId: null,
        description: description ?? reason,
        actor,
        now,
      });
      const auditLogId = await recordAudit({
        executor: tx,
        entry: {
          action: balanceAdjustmentAuditAction,
          actor,
          organizationId,
          reason,
          before: { available: before, currency: resolved },
          after: { available: after, currency: resolved },
          metadata: {
            transactionId: transaction.id,
            amount,
            description: transaction.description,
            ...(established === null ? { currencyFixed: resolved } : {}),
          },
        },
        now,
      });
      // balance.changed is published with the ledger entry (appendBalanceTransaction).
      return { transaction, available: after, currency: resolved, auditLogId };
    },
  });
}
