import { and, eq, inArray, isNull } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Database } from "../db/database.ts";
import {
  checkouts,
  invoices,
  organizations,
  pendingItems,
  subscriptions,
} from "../db/schema/index.ts";
import { invalidState, notFound, validationError } from "../errors.ts";
import { availableBalance } from "../invoicing/balance-ledger.ts";
import { isSupportedCurrency } from "../money/index.ts";
import { liveStatuses } from "../subscriptions/subscription-records.ts";
import { lockOrganization } from "./lock-organization.ts";
import type { OrganizationRecord } from "./organization-record.ts";

/** Something still running in the organization's current currency, and how to close it. */
export interface OpenInCurrency {
  kind: "subscription" | "balance" | "open_invoices" | "pending_items" | "open_checkouts";
  /** The ids concerned (at most 20), or the balance as a decimal string of minor units. */
  ids?: string[];
  available?: string;
  howToClose: string;
}

/**
 * Root's switch of an organization's billing currency (docs/organizations.md "Billing currency"), allowed
 * only when nothing is open in the current one: no live subscription, a zero credit balance, no open
 * invoice, no pending add-on item and no open checkout. Otherwise 409 `invalid_state` listing each, with
 * how to close it. Under the organization's lock, so no payment races it; audited as
 * `organization.billing_currency_changed` with the reason. The same currency again changes nothing.
 */
export async function changeBillingCurrency({
  db,
  organizationId,
  currency,
  reason,
  actor,
  systemNow,
}: {
  db: Database;
  organizationId: string;
  currency: string;
  reason: string;
  actor: string;
  systemNow: Date;
}): Promise<OrganizationRecord> {
  if (!isSupportedCurrency(currency)) {
    throw validationError(
      `currency: "${currency}" is not an ISO 4217 currency this server knows; use a code such as USD, EUR or ARS.`,
    );
  }
  return db.transaction(async (tx) => {
    const { organization, now } = await lockOrganization({ tx, organizationId, systemNow });
    if (organization.currency === currency) return organization;
    const open: OpenInCurrency[] = [];
    const live = await tx
      .select({ id: subscriptions.id, status: subscriptions.status })
      .from(subscriptions)
      .where(
        and(
          eq(subscriptions.organizationId, organizationId),
          inArray(subscriptions.status, [...liveStatuses]),
        ),
      );
    if (live.length > 0) {
      open.push({
        kind: "subscription",
        ids: live.map((row) => row.id),
        howToClose: `cancel it now: POST /v1/organizations/${organizationId}/subscription/cancel {"atPeriodEnd": false}`,
      });
    }
    const balance = await availableBalance({ executor: tx, organizationId });
    if (balance !== 0n) {
      open.push({
        kind: "balance",
        available: balance.toString(),
        howToClose: `bring the credit balance to zero with a root adjustment of ${-balance} (POST /v1/root/organizations/${organizationId}/balance-adjustments)`,
      });
    }
    const openInvoices = await tx
      .select({ id: invoices.id })
      .from(invoices)
      .where(and(eq(invoices.organizationId, organizationId), eq(invoices.status, "open")))
      .limit(20);
    if (openInvoices.length > 0) {
      open.push({
        kind: "open_invoices",
        ids: openInvoices.map((row) => row.id),
        howToClose: "have them paid, or wait for dunning to end them",
      });
    }
    const pending = await tx
      .select({ id: pendingItems.id })
      .from(pendingItems)
      .where(and(eq(pendingItems.organizationId, organizationId), isNull(pendingItems.invoiceId)))
      .limit(20);
    if (pending.length > 0) {
      open.push({
        kind: "pending_items",
        ids: pending.map((row) => row.id),
        howToClose: "they are billed with the next subscription invoice",
      });
    }
    const openCheckouts = await tx
      .select({ id: checkouts.id })
      .from(checkouts)
      .where(and(eq(checkouts.organizationId, organizationId), eq(checkouts.status, "open")))
      .limit(20);
    if (openCheckouts.length > 0) {
      open.push({
        kind: "open_checkouts",
        ids: openCheckouts.map((row) => row.id),
        howToClose: "let the customer finish or abandon them",
      });
    }
    if (open.length > 0) {
      throw invalidState(
        `Organization ${organizationId} is billed in ${organization.currency}, and its billing currency changes only when nothing is open in it. Still open: ${open.map((item) => `${describe(item)} (${item.howToClose})`).join("; ")}. Then send this request again.`,
        { currency: organization.currency, open },
      );
    }
    const [updated] = await tx
      .update(organizations)
      .set({ currency, updatedAt: now })
      .where(eq(organizations.id, organizationId))
      .returning();
    if (!updated) throw notFound("Organization", organizationId);
    await recordAudit({
      executor: tx,
      entry: {
        action: "organization.billing_currency_changed",
        actor,
        organizationId,
        reason,
        before: { currency: organization.currency },
        after: { currency },
      },
      now,
    });
    return updated;
  });
}

function describe(item: OpenInCurrency): string {
  switch (item.kind) {
    case "subscription":
      return `the live subscription ${item.ids?.join(", ")}`;
    case "balance":
      return `a credit balance of ${item.available} minor units`;
    case "open_invoices":
      return `open invoice${item.ids?.length === 1 ? "" : "s"} ${item.ids?.join(", ")}`;
    case "pending_items":
      return `${item.ids?.length} add-on item(s) waiting to be invoiced`;
    case "open_checkouts":
      return `open checkout${item.ids?.length === 1 ? "" : "s"} ${item.ids?.join(", ")}`;
  }
}
