import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import { type BillingServices, runBillingOperation } from "../billing/billing-operation.ts";
import { fixBillingCurrency } from "../billing/fix-billing-currency.ts";
import { getPack } from "../catalog/packs.ts";
import type { Executor } from "../db/database.ts";
import { entitlementGrants } from "../db/schema/index.ts";
import { invalidState, validationError } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages } from "../i18n/billing-messages.ts";
import { newId } from "../ids.ts";
import { getInvoice, type Invoice, issueInvoice, newInvoiceId } from "../invoicing/invoices.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import { defineJob } from "../jobs/job.ts";
import { addDays } from "../time/index.ts";

/**
 * Applies a paid pack's units to the organization, with `pack.granted` in the same transaction:
 * idempotent by its source (the invoice).
 */
export const applyGrantJob = defineJob({
  name: "entitlements.apply_grant",
  payload: z.object({
    organizationId: z.string(),
    feature: z.string(),
    quantity: z.string().regex(/^\d+$/),
    source: z.string(),
    expiresAt: z.iso.datetime().nullable(),
    grantedAt: z.iso.datetime(),
    packId: z.string().optional(),
  }),
  async handler({ payload, context }) {
    await context.db.transaction(async (tx) => {
      await insertPackGrant({
        executor: tx,
        grant: {
          ...payload,
          quantity: BigInt(payload.quantity),
          expiresAt: payload.expiresAt ? new Date(payload.expiresAt) : null,
          grantedAt: new Date(payload.grantedAt),
          packId: payload.packId ?? null,
        },
      });
    });
  },
});

/**
 * Adds a pack's units to the organization's balance with `pack.granted`, once per source (a second
 * insert of the same source adds nothing and returns null). Run inside the caller's transaction.
 */
export async function insertPackGrant({
  executor,
  grant: values,
}: {
  executor: Executor;
  grant: {
    organizationId: string;
    feature: string;
    quantity: bigint;
    source: string;
    expiresAt: Date | null;
    grantedAt: Date;
    packId: string | null;
  };
}): Promise<typeof entitlementGrants.$inferSelect | null> {
  const [grant] = await executor
    .insert(entitlementGrants)
    .values({
      id: newId("grt", values.grantedAt.getTime()),
      organizationId: values.organizationId,
      featureKey: values.feature,
      quantity: values.quantity,
      remaining: values.quantity,
      source: values.source,
      expiresAt: values.expiresAt,
      createdAt: values.grantedAt,
    })
    .onConflictDoNothing({ target: entitlementGrants.source })
    .returning();
  if (!grant) return null;
  await publishEvent({
    executor,
    type: "pack.granted",
    organizationId: grant.organizationId,
    data: {
      grantId: grant.id,
      packId: values.packId,
      feature: grant.featureKey,
      quantity: grant.quantity,
      invoiceId: grant.source,
      expiresAt: grant.expiresAt,
    },
    now: values.grantedAt,
  });
  return grant;
}

/**
 * Buys a top-up pack (docs/entitlements.md "Packs"): a `one_off` invoice charged at once to the default
 * payment method, the credit balance never applied. The grant job is enqueued in the payment's
 * transaction; the worker adds the units. Declined → 402 and no grant.
 */
export async function purchasePack({
  services,
  organizationId,
  packId,
  quantity,
  actor,
  systemNow,
}: {
  services: BillingServices;
  organizationId: string;
  packId: string;
  quantity: number;
  actor: string;
  systemNow: Date;
}): Promise<{ invoice: Invoice; grant: { feature: string; quantity: bigint } }> {
  return runBillingOperation({
    services,
    organizationId,
    systemNow,
    actor,
    async operation({ tx, organization, now, queueName, chargeOrAbort }) {
      if (organization.status !== "active") {
        throw invalidState(
          `Organization ${organizationId} is ${organization.status}; it cannot buy packs.`,
        );
      }
      const pack = await getPack({ db: tx, packId });
      if (pack.archivedAt !== null)
        throw validationError(`packId: the pack "${packId}" is archived.`);
      const currency = organization.currency ?? pack.price.currency;
      if (pack.price.currency !== currency) {
        throw validationError(
          `packId: ${packId} is priced in ${pack.price.currency}; the organization pays in ${currency}. Offer a pack priced in ${currency}, or have root switch the organization's billing currency (PATCH /v1/organizations/${organizationId}/billing-currency, allowed when nothing is open in ${currency}).`,
        );
      }
      const invoice = await issueInvoice({
        executor: tx,
        draft: {
          id: newInvoiceId(now),
          organizationId,
          subscriptionId: null,
          kind: "one_off",
          billingReason: "pack_purchase",
          currency,
          locale: organization.locale,
          lines: [
            {
              kind: "pack",
              description: billingMessages(organization.locale).pack({ pack: pack.name, quantity }),
              amount: pack.price.unitAmount * BigInt(quantity),
              quantity: BigInt(quantity),
              unitAmount: pack.price.unitAmount,
              proration: false,
              periodStart: null,
              periodEnd: null,
            },
          ],
          coupon: null,
          periodStart: null,
          periodEnd: null,
          periodKey: null,
        },
        services,
        now,
        // Charged next, which numbers it: the number's counter is not held across the provider's answer.
        numberAfterCharge: true,
      });
      await chargeOrAbort(invoice);
      await fixBillingCurrency({ executor: tx, organization, currency, now });
      const grant = { feature: pack.feature, quantity: pack.quantity * BigInt(quantity) };
      await enqueueJob(
        tx,
        applyGrantJob,
        {
          organizationId,
          feature: grant.feature,
          quantity: grant.quantity.toString(),
          source: invoice.id,
          expiresAt:
            pack.expiresAfterDays === null
              ? null
              : addDays({ date: now, days: pack.expiresAfterDays }).toISOString(),
          grantedAt: now.toISOString(),
          packId,
        },
        { queueName },
      );
      await recordAudit({
        executor: tx,
        entry: {
          action: "pack.purchased",
          actor,
          organizationId,
          after: { packId, quantity, invoiceId: invoice.id, grant },
        },
        now,
      });
      return { invoice: await getInvoice({ executor: tx, invoiceId: invoice.id }), grant };
    },
  });
}
