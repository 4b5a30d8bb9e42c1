import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { toJson } from "../audit/record-audit.ts";
import { type BillingServices, refundCharges } from "../billing/billing-operation.ts";
import { loadAddonVersions } from "../catalog/addons.ts";
import { loadPlanVersions } from "../catalog/plans.ts";
import { anyOf } from "../db/any-of.ts";
import { insertJsonRows } from "../db/insert-json-rows.ts";
import {
  auditLogs,
  balanceTransactions,
  coupons,
  type invoiceLines,
  invoices,
  organizations,
  paymentMethods,
  type payments,
  pendingItems,
  subscriptionItems,
  subscriptions,
} from "../db/schema/index.ts";
import { findUnbilledOverage, markOverageBilled } from "../entitlements/overage.ts";
import type { EventData } from "../events/event-catalog.ts";
import type { EventType, NewEvent } from "../events/publish-event.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { newId } from "../ids.ts";
import {
  finalizedInvoiceRow,
  type InvoiceDraft,
  invoiceLineRows,
  invoicePeriodKey,
  issueInvoice,
  newInvoiceId,
} from "../invoicing/invoices.ts";
import { resolveIssuer } from "../invoicing/issuer.ts";
import { priceInvoice } from "../invoicing/price-invoice.ts";
import { defineJob } from "../jobs/job.ts";
import { customerDetailsOf, taxCustomerOf } from "../organizations/billing-details.ts";
import { chargeMethod, type SucceededCharge } from "../payments/charge-invoice.ts";
import { addDays, nextPeriod } from "../time/index.ts";
import { buildRenewalLines } from "./build-renewal-lines.ts";
import { periodAddons } from "./period-addons.ts";
import { renewBatchOrRecordFailures } from "./renewal-failures.ts";
import { discountTermsFor } from "./subscription-discount.ts";
import { requirePrice, type SubscriptionRow } from "./subscription-records.ts";
import { toSubscriptionView } from "./subscription-view.ts";
import { type NumberedLedgerEntry, writeNumberedRenewals } from "./write-numbered-renewals.ts";

const actor = "system:renewal";

export interface DueRenewal {
  subscriptionId: string;
  dueAt: Date;
}

/**
 * A renewal the batch can take: an active subscription with nothing scheduled, not canceled at the period
 * end and not at the end of its term. Every other boundary goes through `renewSubscription`.
 */
export function isPlainRenewal(
  subscription: Pick<
    SubscriptionRow,
    "status" | "cancelAtPeriodEnd" | "scheduledChange" | "endsAt" | "currentPeriodEnd"
  >,
): boolean {
  return (
    subscription.status === "active" &&
    !subscription.cancelAtPeriodEnd &&
    subscription.scheduledChange === null &&
    (subscription.endsAt === null || subscription.endsAt > subscription.currentPeriodEnd)
  );
}

/**
 * The renewal of many plain subscriptions (active, nothing scheduled, not ending) in one transaction with
 * set-based reads and writes: the billing run's fast path. It produces exactly what `renewSubscription`
 * produces for such a subscription (same lines, totals, ledger, audit and events); anything else goes
 * through `renewSubscription`. Organizations locked by another operation are skipped and picked up by
 * the next pass; invoices are keyed by (subscription, period), so a retried batch bills nothing twice.
 */
export async function renewBatch({
  services,
  due,
  systemNow,
}: {
  services: BillingServices;
  due: readonly DueRenewal[];
  systemNow: Date;
}): Promise<{ renewed: number; pastDue: number; skipped: number }> {
  const { db, providers, config, logger, taxCalculator } = services;
  const charges: (SucceededCharge & { organizationId: string })[] = [];
  try {
    return await db.transaction(async (tx) => {
      const dueById = new Map(due.map((entry) => [entry.subscriptionId, entry.dueAt.getTime()]));
      const ids = [...dueById.keys()];
      const owners = await tx
        .select({ organizationId: subscriptions.organizationId })
        .from(subscriptions)
        .where(anyOf(subscriptions.id, ids));
      const locked = await tx.execute<{ id: string; locale: "en" | "es" }>(sql`
        select id, locale from organizations
         where id = any(${sql.param([...new Set(owners.map((owner) => owner.organizationId))])}::text[])
           and test_clock_id is null and provisioning_status = 'active'
         order by id for update skip locked`);
      const locales = new Map(locked.rows.map((row) => [row.id, row.locale]));
      // Their billing details (taxes, and who the invoices are issued to) and the issuer, read once.
      const organizationRows = locked.rows.length
        ? await tx
            .select()
            .from(organizations)
            .where(
              anyOf(
                organizations.id,
                locked.rows.map((row) => row.id),
              ),
            )
        : [];
      const organizationOf = new Map(organizationRows.map((row) => [row.id, row]));
      const issuer = await resolveIssuer({ executor: tx, defaults: config.issuer });
      const candidates = await tx
        .select()
        .from(subscriptions)
        .where(and(anyOf(subscriptions.id, ids), eq(subscriptions.status, "active")));
      const plain = candidates.filter(
        (subscription) =>
          locales.has(subscription.organizationId) &&
          dueById.get(subscription.id) === subscription.currentPeriodEnd.getTime() &&
          subscription.currentPeriodEnd <= systemNow &&
          isPlainRenewal(subscription),
      );
      const keyed = plain.map((subscription) => {
        const period = nextPeriod({
          anchor: subscription.anchorAt,
          interval: subscription.interval,
          period: { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd },
        });
        const key = invoicePeriodKey({
          subscriptionId: subscription.id,
          periodStart: period.start,
        });
        return { subscription, period, key };
      });
      const existing = keyed.length
        ? await tx
            .select({ key: invoices.periodKey })
            .from(invoices)
            .where(
              anyOf(
                invoices.periodKey,
                keyed.map((entry) => entry.key),
              ),
            )
        : [];
      const billed = new Set(existing.map((row) => row.key));
      const work = keyed.filter((entry) => !billed.has(entry.key));
      if (work.length === 0) return { renewed: 0, pastDue: 0, skipped: due.length };

      const organizationIds = work.map((entry) => entry.subscription.organizationId);
      const subscriptionIds = work.map((entry) => entry.subscription.id);
      // One connection per transaction: the reads run one after another.
      const plansLoaded = await loadPlanVersions(
        tx,
        [
          ...new Set(
            work.map((entry) => `${entry.subscription.planId}@${entry.subscription.planVersion}`),
          ),
        ].map((ref) => {
          const [planId = "", version = "0"] = ref.split("@");
          return { planId, version: Number(version) };
        }),
      );
      const items = await tx
        .select()
        .from(subscriptionItems)
        .where(anyOf(subscriptionItems.subscriptionId, subscriptionIds))
        .orderBy(asc(subscriptionItems.addonId)); // as listItems
      const pending = await tx
        .select()
        .from(pendingItems)
        .where(
          and(anyOf(pendingItems.organizationId, organizationIds), isNull(pendingItems.invoiceId)),
        )
        .orderBy(asc(pendingItems.id));
      const balances = await tx
        .select({
          organizationId: balanceTransactions.organizationId,
          sum: sql<string>`sum(${balanceTransactions.amount})::text`,
        })
        .from(balanceTransactions)
        .where(anyOf(balanceTransactions.organizationId, organizationIds))
        .groupBy(balanceTransactions.organizationId);
      const couponCodes = work.flatMap((entry) =>
        entry.subscription.couponCode ? [entry.subscription.couponCode] : [],
      );
      const couponRows = couponCodes.length
        ? await tx.select().from(coupons).where(anyOf(coupons.code, couponCodes))
        : [];
      const overage = await findUnbilledOverage({ executor: tx, organizationIds });
      const methods = await tx
        .select()
        .from(paymentMethods)
        .where(
          and(
            anyOf(paymentMethods.organizationId, organizationIds),
            eq(paymentMethods.isDefault, true),
            isNull(paymentMethods.detachedAt),
          ),
        );
      const addonVersions = await loadAddonVersions(
        tx,
        [...new Set(items.map((item) => `${item.addonId}@${item.addonVersion}`))].map((ref) => {
          const [addonId = "", version = "0"] = ref.split("@");
          return [addonId, Number(version)] as [string, number];
        }),
      );
      const planOf = new Map(plansLoaded.map((plan) => [`${plan.id}@${plan.version}`, plan]));
      const balanceOf = new Map(balances.map((row) => [row.organizationId, BigInt(row.sum)]));
      const couponOf = new Map(couponRows.map((coupon) => [coupon.code, coupon]));
      const methodOf = new Map(methods.map((method) => [method.organizationId, method]));

      const invoiceRows: Omit<typeof invoices.$inferInsert, "number">[] = [];
      const lineRows: (typeof invoiceLines.$inferInsert)[] = [];
      const paymentRows: (typeof payments.$inferInsert)[] = [];
      const ledgerRows: NumberedLedgerEntry[] = [];
      const auditRows: (typeof auditLogs.$inferInsert)[] = [];
      const eventRows: NewEvent[] = [];
      const updates: {
        id: string;
        status: "active" | "past_due";
        start: Date;
        end: Date;
        retryAt: Date | null;
      }[] = [];
      // Real-time organizations only: the charges of this batch happen now, however late the run is.
      const attemptedAt = systemNow;
      const billedPending: { invoiceId: string; ids: string[] }[] = [];
      let pastDue = 0;

      // What renewSubscription does for each, with the charge made here and the writes gathered.
      for (const { subscription, period, key } of work) {
        const at = subscription.currentPeriodEnd;
        const organizationId = subscription.organizationId;
        const locale = locales.get(organizationId) ?? "en";
        const messages = billingMessages(locale);
        const plan = planOf.get(`${subscription.planId}@${subscription.planVersion}`);
        if (!plan)
          throw new Error(`Plan ${subscription.planId}@${subscription.planVersion} not found`);
        const unitAmount = requirePrice({
          plan,
          interval: subscription.interval,
          currency: subscription.currency,
        });
        const ownItems = items.filter((item) => item.subscriptionId === subscription.id);
        const ownPending = pending.filter((item) => item.organizationId === organizationId);
        const draft: InvoiceDraft = {
          id: newInvoiceId(at),
          organizationId,
          subscriptionId: subscription.id,
          kind: "subscription",
          billingReason: "subscription_cycle",
          currency: subscription.currency,
          locale,
          lines: buildRenewalLines({
            plan: { name: plan.name, unitAmount },
            addons: periodAddons({ items: ownItems, addons: addonVersions }),
            pending: ownPending,
            overage: overage.filter((entry) => entry.organizationId === organizationId),
            overagePrices: plan.overage,
            interval: subscription.interval,
            currency: subscription.currency,
            period,
            endedAt: at,
            messages,
          }),
          coupon: discountTermsFor({
            subscription,
            coupon: subscription.couponCode
              ? (couponOf.get(subscription.couponCode) ?? null)
              : null,
            periodStart: period.start,
          }),
          periodStart: period.start,
          periodEnd: period.end,
          periodKey: key,
        };
        const organization = organizationOf.get(organizationId);
        if (!organization) throw new Error(`Organization ${organizationId} not found`);
        const priced = await priceInvoice({
          executor: tx,
          taxCalculator,
          customer: taxCustomerOf(organization),
          kind: draft.kind,
          currency: draft.currency,
          lines: draft.lines,
          coupon: draft.coupon,
          balanceAvailable: balanceOf.get(organizationId) ?? 0n,
          now: at,
        });
        const { totals } = priced;
        const invoiceId = draft.id;
        // Credits that outweigh the renewal (licenses removed during the period): a credit note, issued
        // as everywhere else (its own sequence, the balance credited, `credit_note.created`); nothing is
        // charged, and the batch's invoice rows and numbers leave it out.
        const creditNote = totals.total < 0n;
        if (creditNote) {
          await issueInvoice({ executor: tx, draft, services: { config, taxCalculator }, now: at });
        }

        let paid = totals.amountDue === 0n;
        let provider: string | null = null;
        let failureCode: string | null = null;
        let paymentId: string | null = null;
        if (!paid) {
          const method = methodOf.get(organizationId);
          paymentId = newId("pay", systemNow.getTime());
          const result = await chargeMethod({
            providers,
            method: method ?? null,
            request: {
              amount: totals.amountDue,
              currency: subscription.currency,
              paymentId,
              invoiceId,
              organizationId,
              description: messages.invoiceCharge({ reference: invoiceId }),
            },
          });
          paid = result.status === "succeeded";
          provider = method?.provider ?? "none";
          if (result.status === "succeeded") {
            charges.push({
              organizationId,
              provider,
              providerPaymentId: result.providerPaymentId,
              amount: totals.amountDue,
              currency: subscription.currency,
            });
          } else {
            failureCode = result.code;
          }
          paymentRows.push({
            id: paymentId,
            organizationId,
            invoiceId,
            paymentMethodId: method?.id ?? null,
            provider,
            providerPaymentId: result.providerPaymentId,
            amount: totals.amountDue,
            currency: subscription.currency,
            status: paid ? "succeeded" : "failed",
            failureCode: result.status === "failed" ? result.code : null,
            failureMessage: result.status === "failed" ? result.message : null,
            // When the attempt really happened (a late run is late), not the period's boundary.
            createdAt: systemNow,
          });
        }
        // Finalized (numbered below, once every charge of the batch is done), then paid if it was.
        if (!creditNote)
          invoiceRows.push({
            ...finalizedInvoiceRow({
              draft,
              priced,
              parties: { customer: customerDetailsOf(organization), issuer },
              number: null,
              now: at,
            }),
            ...(paid && totals.amountDue > 0n
              ? { status: "paid", amountPaid: totals.amountDue, paidAt: attemptedAt }
              : {}),
          });
        if (!creditNote)
          lineRows.push(...invoiceLineRows({ invoiceId, organizationId, lines: priced.lines }));
        if (totals.balanceApplied > 0n) {
          ledgerRows.push({
            id: newId("txn", at.getTime()),
            organizationId,
            amount: -totals.balanceApplied,
            currency: subscription.currency,
            type: "applied_to_invoice",
            invoiceId,
            description: messages.appliedToInvoice, // names the invoice's number, given below
            actor: null,
            createdAt: at,
          });
        }
        if (ownPending.length > 0)
          billedPending.push({ invoiceId, ids: ownPending.map((item) => item.id) });
        const status = paid ? "active" : "past_due";
        if (!paid) pastDue += 1;
        updates.push({
          id: subscription.id,
          status,
          start: period.start,
          end: period.end,
          retryAt: paid
            ? null
            : addDays({ date: attemptedAt, days: config.lifecycle.dunningRetryDays[0] ?? 1 }),
        });
        auditRows.push({
          id: newId("aud", at.getTime()),
          action: paid ? "subscription.renewed" : "subscription.renewal_failed",
          actor,
          organizationId,
          before: toJson(toSubscriptionView({ subscription, items: ownItems })),
          after: toJson(
            toSubscriptionView({
              subscription: {
                ...subscription,
                status,
                currentPeriodStart: period.start,
                currentPeriodEnd: period.end,
              },
              items: ownItems,
            }),
          ),
          metadata: toJson({ invoiceId, amountDue: totals.amountDue }),
          createdAt: at,
        });
        const event = <Type extends EventType>(type: Type, data: EventData<Type>, now = at) =>
          eventRows.push({ type, organizationId, data, now } as NewEvent);
        // Numbered below, with the invoices.
        if (!creditNote)
          event("invoice.created", {
            invoiceId,
            number: null,
            subscriptionId: subscription.id,
            kind: draft.kind,
            billingReason: draft.billingReason,
            status: totals.amountDue === 0n ? "paid" : "open",
            currency: subscription.currency,
            total: totals.total,
            amountDue: totals.amountDue,
          });
        if (totals.balanceApplied > 0n) {
          event("balance.changed", {
            transactionId: ledgerRows.at(-1)?.id ?? "",
            type: "applied_to_invoice",
            amount: -totals.balanceApplied,
            available: (balanceOf.get(organizationId) ?? 0n) - totals.balanceApplied,
            currency: subscription.currency,
            invoiceId,
          });
        }
        if (paid && totals.amountDue > 0n) {
          event(
            "invoice.paid",
            {
              invoiceId,
              number: null,
              amountPaid: totals.amountDue,
              currency: subscription.currency,
              provider,
              ...(paymentId ? { paymentId } : {}),
            },
            attemptedAt,
          );
        }
        if (!paid) {
          event(
            "invoice.payment_failed",
            {
              invoiceId,
              code: failureCode,
              ...(paymentId ? { paymentId } : {}),
              amount: totals.amountDue,
              currency: subscription.currency,
            },
            attemptedAt,
          );
        }
        event("subscription.renewed", {
          subscriptionId: subscription.id,
          invoiceId,
          status,
          periodStart: period.start,
          periodEnd: period.end,
        });
      }

      // What does not name an invoice number is written first: the issuer's counter row, once taken,
      // stays locked to the commit and every other batch waits for it, so the writes after it are only
      // those that need the numbers.
      for (const insert of insertJsonRows({ table: auditLogs, rows: auditRows }))
        await tx.execute(insert);
      const graceDays = config.lifecycle.pastDueGraceDays;
      const changes = JSON.stringify(
        updates.map((update) => ({
          id: update.id,
          status: update.status,
          start: update.start.toISOString(),
          end: update.end.toISOString(),
          retry_at: update.retryAt?.toISOString() ?? null,
        })),
      );
      await tx.execute(sql`
        update subscriptions s
           set status = c.status, current_period_start = c.start, current_period_end = c."end",
               past_due_since = case when c.status = 'past_due' then ${attemptedAt.toISOString()}::timestamptz end,
               payment_attempts = case when c.status = 'past_due' then 1 else 0 end,
               next_payment_attempt_at = c.retry_at, updated_at = c.start,
               renewal_failed_at = null, renewal_error = null, renewal_attempts = 0,
               next_renewal_attempt_at = null
          from json_to_recordset(${changes}::json) as c(id text, status text, start timestamptz, "end" timestamptz, retry_at timestamptz)
         where s.id = c.id`);
      // As setEntitlement: the subscription's plan again (a root override lasts until the renewal).
      await tx.execute(sql`
        update organization_entitlements e
           set plan_id = s.plan_id, plan_version = s.plan_version, status = c.status,
               trial_ends_at = null,
               grace_ends_at = case when c.status = 'past_due' then ${attemptedAt.toISOString()}::timestamptz + make_interval(days => ${graceDays}) end,
               source = 'subscription', manual_features = null, updated_at = c.start
          from json_to_recordset(${changes}::json) as c(id text, status text, start timestamptz)
          join subscriptions s on s.id = c.id
         where e.organization_id = s.organization_id`);
      await markOverageBilled({ executor: tx, overage });
      for (const { invoiceId, ids: pendingIds } of billedPending) {
        await tx.update(pendingItems).set({ invoiceId }).where(anyOf(pendingItems.id, pendingIds));
      }
      // Gapless numbers are taken only now, after every provider call of the batch, and with them, in
      // one statement, everything that names them: the issuer's counter row stays locked from here to
      // the commit, not across up to a hundred charges or round trips.
      await writeNumberedRenewals({
        executor: tx,
        prefix: config.invoicePrefix,
        invoiceRows,
        lineRows,
        paymentRows,
        ledgerRows,
        events: eventRows,
      });
      return { renewed: work.length - pastDue, pastDue, skipped: due.length - work.length };
    });
  } catch (error) {
    await refundCharges({ db, providers, logger, charges, organizationId: null, systemNow });
    throw error;
  }
}

export const renewBatchJob = defineJob({
  name: "subscription.renew_batch",
  payload: z.object({
    renewals: z.array(z.object({ subscriptionId: z.string(), dueAt: z.iso.datetime() })).min(1),
  }),
  async handler({ payload, context }) {
    await renewBatchOrRecordFailures({
      services: context,
      due: payload.renewals.map((entry) => ({
        subscriptionId: entry.subscriptionId,
        dueAt: new Date(entry.dueAt),
      })),
      systemNow: new Date(),
    });
  },
});
