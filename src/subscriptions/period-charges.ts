import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import type { Executor } from "../db/database.ts";
import { invoiceLines, invoices, pendingItems } from "../db/schema/index.ts";
import type { PeriodCharge } from "./compute-unused-value.ts";
import type { SubscriptionRow } from "./subscription-records.ts";

/** What was charged for the current period: the plan's charges, and each add-on's by id. */
export interface PeriodCharges {
  plan: PeriodCharge[];
  addons: Map<string, PeriodCharge[]>;
}

/**
 * The charges and credits of a subscription's current period, as `computeUnusedValue` takes them: the
 * lines of its paid invoices that cover time up to the period end (the plan's full charge, prorated plan
 * charges and credits of changes; the add-ons' full charges), and the add-ons' prorated items of the
 * period, billed or still pending. Lines of void or unpaid invoices were not paid, so they count for
 * nothing.
 */
export async function loadPeriodCharges({
  executor,
  subscription,
}: {
  executor: Executor;
  subscription: Pick<SubscriptionRow, "id" | "organizationId" | "currentPeriodEnd">;
}): Promise<PeriodCharges> {
  // The lines and the pending items in one statement: a plan change reads them on every request.
  const rows = await unionAll(
    executor
      .select({
        pending: sql<boolean>`false`.as("pending"),
        kind: sql<string>`${invoiceLines.kind}`.as("kind"),
        addonId: invoiceLines.addonId,
        amount: invoiceLines.amount,
        discount: invoiceLines.discount,
        periodStart: invoiceLines.periodStart,
        order: invoiceLines.invoiceId,
        position: invoiceLines.position,
      })
      .from(invoiceLines)
      .innerJoin(
        invoices,
        and(
          eq(invoices.id, invoiceLines.invoiceId),
          eq(invoices.organizationId, invoiceLines.organizationId),
        ),
      )
      .where(
        and(
          eq(invoices.organizationId, subscription.organizationId),
          eq(invoices.subscriptionId, subscription.id),
          eq(invoices.status, "paid"),
          inArray(invoiceLines.kind, ["plan", "addon", "proration"]),
          eq(invoiceLines.periodEnd, subscription.currentPeriodEnd),
        ),
      ),
    executor
      .select({
        pending: sql<boolean>`true`.as("pending"),
        kind: sql<string>`'addon'`.as("kind"),
        addonId: pendingItems.addonId,
        amount: pendingItems.amount,
        discount: pendingItems.discount,
        periodStart: pendingItems.periodStart,
        order: pendingItems.id,
        position: sql<number>`0`.as("position"),
      })
      .from(pendingItems)
      .where(
        and(
          eq(pendingItems.subscriptionId, subscription.id),
          isNotNull(pendingItems.addonId),
          eq(pendingItems.periodEnd, subscription.currentPeriodEnd),
        ),
      ),
  )
    // By output position (pending, order, position): the lines first, by invoice and position, then
    // the pending items by id.
    .orderBy(sql`1, 7, 8`);
  const charges: PeriodCharges = { plan: [], addons: new Map() };
  const add = (addonId: string, charge: PeriodCharge) =>
    charges.addons.set(addonId, [...(charges.addons.get(addonId) ?? []), charge]);
  const periodEnd = subscription.currentPeriodEnd;
  for (const { pending, kind, addonId, periodStart, amount, discount } of rows) {
    if (periodStart === null) continue;
    const charge = { amount, discount, periodStart, periodEnd };
    if (addonId !== null) add(addonId, charge);
    // An add-on line that does not say which add-on it is (issued before lines named their add-on, and
    // not recognised by the migration) is no charge of the plan: it is left out.
    else if (!pending && kind !== "addon") charges.plan.push(charge);
  }
  return charges;
}
