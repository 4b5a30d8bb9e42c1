import { and, asc, desc, eq, gt, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Config } from "../config.ts";
import type { Database, Executor } from "../db/database.ts";
import {
  type DocumentType,
  type InvoiceCustomerDetails,
  type InvoiceIssuerDetails,
  invoiceLines,
  invoiceNumberSequences,
  invoices,
  organizations,
} from "../db/schema/index.ts";
import { notFound } from "../errors.ts";
import { publishEvent } from "../events/publish-event.ts";
import { billingMessages, type Locale, localeOf } from "../i18n/billing-messages.ts";
import { newId } from "../ids.ts";
import { customerDetailsOf, taxCustomerOf } from "../organizations/billing-details.ts";
import type { OrganizationRecord } from "../organizations/organization-record.ts";
import type { TaxCalculator } from "../taxes/tax-calculator.ts";
import { appendBalanceTransaction, availableBalance } from "./balance-ledger.ts";
import type { CouponTerms, DraftLine, InvoiceKind } from "./compute-invoice-totals.ts";
import { resolveIssuer } from "./issuer.ts";
import { type PricedInvoice, type PricedLine, priceInvoice } from "./price-invoice.ts";

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
export interface Invoice extends InvoiceRow {
  lines: InvoiceLineRow[];
}

export interface InvoiceDraft {
  id: string;
  organizationId: string;
  subscriptionId: string | null;
  kind: InvoiceKind;
  billingReason: string;
  currency: string;
  locale: Locale;
  lines: DraftLine[];
  coupon: (CouponTerms & { code: string }) | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  periodKey: string | null;
}

/** What issuing an invoice needs from the composition root: the number prefix, the issuer, the taxes. */
export interface InvoicingServices {
  config: Pick<Config, "invoicePrefix" | "creditNotePrefix" | "issuer">;
  taxCalculator: TaxCalculator;
}

/** Who an invoice is issued to and by, as they are when it is finalized. */
export interface InvoiceParties {
  customer: InvoiceCustomerDetails;
  issuer: InvoiceIssuerDetails;
}

/**
 * Finalizes an invoice in the caller's transaction: discount, taxes and totals in the order of
 * docs/billing.md "Invoices" (`priceInvoice`), the lines, who it is issued to and by, and — once it is
 * numbered — its gapless number, `invoice.created` and the balance movements (credit consumed by a
 * subscription invoice, or a negative total credited). An invoice with nothing to pay is `paid` at once;
 * otherwise it is `open` for payment. A negative total is a credit note instead (docs/billing.md "Credit
 * notes"): numbered in the credit notes' own sequence, naming the invoices of the subscription whose
 * period its lines reverse, and its credit goes to the balance.
 *
 * With `numberAfterCharge` the invoice is written unnumbered and the charge of the billing operation
 * numbers it (`numberInvoice`) once the provider has answered: the issuer's counter row, which every
 * invoice of the installation needs, is then locked from after the provider's answer to the commit, not
 * across the network call. Nothing else may read the balance between the two (the caller charges next).
 */
export async function issueInvoice({
  executor,
  draft,
  services,
  now,
  organization: lockedOrganization,
  balanceAvailable,
  numberAfterCharge = false,
}: {
  executor: Executor;
  draft: InvoiceDraft;
  services: InvoicingServices;
  now: Date;
  /** The invoice's organization, when the caller read it under its lock in this transaction. */
  organization?: OrganizationRecord;
  /**
   * The organization's available balance, when the caller read it in this transaction under the
   * organization's lock and nothing changed it since (a subscription invoice applies it).
   */
  balanceAvailable?: bigint;
  /** Leave the number to the operation's charge (see above). */
  numberAfterCharge?: boolean;
}): Promise<Invoice> {
  const organization =
    lockedOrganization ??
    (
      await executor.select().from(organizations).where(eq(organizations.id, draft.organizationId))
    )[0];
  if (!organization) throw notFound("Organization", draft.organizationId);
  const balance =
    draft.kind === "subscription"
      ? (balanceAvailable ??
        (await availableBalance({ executor, organizationId: draft.organizationId })))
      : 0n;
  const priced = await priceInvoice({
    executor,
    taxCalculator: services.taxCalculator,
    customer: taxCustomerOf(organization),
    kind: draft.kind,
    currency: draft.currency,
    lines: draft.lines,
    coupon: draft.coupon,
    balanceAvailable: balance,
    now,
  });
  const parties: InvoiceParties = {
    customer: customerDetailsOf(organization),
    issuer: await resolveIssuer({ executor, defaults: services.config.issuer }),
  };
  const creditNote = priced.totals.total < 0n;
  const number = numberAfterCharge
    ? null
    : await nextInvoiceNumber({
        executor,
        prefix: creditNote ? services.config.creditNotePrefix : services.config.invoicePrefix,
      });
  const corrects = creditNote
    ? await correctedInvoiceIds({ executor, draft, lines: priced.lines })
    : [];
  const [row] = await executor
    .insert(invoices)
    .values({
      ...finalizedInvoiceRow({ draft, priced, parties, number, now }),
      ...(creditNote
        ? { documentType: "credit_note", correctsInvoiceIds: corrects, creditedTo: "balance" }
        : {}),
    })
    .returning();
  if (!row) throw new Error("invoice insert returned no row");
  const lines = await insertLines({ executor, invoice: row, lines: priced.lines });
  if (row.number !== null) await announceNumberedInvoice({ executor, invoice: row, now });
  return { ...row, lines };
}

/** The issuer's prefixes: invoices and credit notes are numbered in sequences of their own. */
export type NumberPrefixes = Pick<Config, "invoicePrefix" | "creditNotePrefix">;

/**
 * Gives an invoice written with `numberAfterCharge` its gapless number (the counter taken and the invoice
 * numbered in one statement), then what names the number: `invoice.created` and its balance movements.
 * Both are dated as the invoice is (its `createdAt`), not when the charge was answered. An invoice
 * numbered already is answered as it is. The counter row stays locked until the commit.
 */
export async function numberInvoice({
  executor,
  invoice,
  prefixes,
}: {
  executor: Executor;
  invoice: Invoice;
  prefixes: NumberPrefixes;
}): Promise<Invoice> {
  if (invoice.number !== null) return invoice;
  const prefix =
    invoice.documentType === "credit_note" ? prefixes.creditNotePrefix : prefixes.invoicePrefix;
  const result = await executor.execute<{ number: string }>(sql`
    with ${numberTaken(prefix)}
    update ${invoices} set number = (select number from taken)
     where ${invoices.id} = ${invoice.id} and ${invoices.number} is null
    returning ${invoices.number}`);
  const number = result.rows[0]?.number;
  if (number === undefined) throw new Error(`invoice ${invoice.id} is not awaiting its number`);
  const row = { ...invoice, number };
  await announceNumberedInvoice({ executor, invoice: row, now: invoice.createdAt });
  return { ...row, lines: invoice.lines };
}

/**
 * What follows an invoice's number: `invoice.created` (or `credit_note.created`), then the ledger entries
 * of the balance it consumed or credited, whose descriptions name the number.
 */
async function announceNumberedInvoice({
  executor,
  invoice,
  now,
}: {
  executor: Executor;
  invoice: InvoiceRow;
  now: Date;
}): Promise<void> {
  await publishInvoiceCreated({ executor, invoice, now });
  const number = invoice.number ?? invoice.id;
  const messages = billingMessages(localeOf(invoice.locale));
  const movements = [
    {
      amount: -invoice.balanceApplied,
      type: "applied_to_invoice" as const,
      description: messages.appliedToInvoice({ number }),
    },
    {
      amount: invoice.creditedToBalance,
      type: "proration_credit" as const,
      description: messages.creditFromInvoice({ number }),
    },
  ];
  for (const { amount, type, description } of movements) {
    if (amount === 0n) continue;
    await appendBalanceTransaction({
      executor,
      organizationId: invoice.organizationId,
      amount,
      currency: invoice.currency,
      type,
      invoiceId: invoice.id,
      description,
      actor: null,
      now,
    });
  }
}

/**
 * The row of an invoice finalized at `now` with these totals: `paid` at once when nothing is due,
 * otherwise `open`. The billing run's batches build their rows with it too, numbered later (`number` null).
 */
export function finalizedInvoiceRow({
  draft,
  priced,
  parties,
  number,
  now,
}: {
  draft: InvoiceDraft;
  priced: PricedInvoice;
  parties: InvoiceParties;
  number: string | null;
  now: Date;
}): typeof invoices.$inferInsert {
  const { totals } = priced;
  const settled = totals.amountDue === 0n;
  return {
    id: draft.id,
    number,
    organizationId: draft.organizationId,
    subscriptionId: draft.subscriptionId,
    kind: draft.kind,
    status: settled ? "paid" : "open",
    billingReason: draft.billingReason,
    currency: draft.currency,
    locale: draft.locale,
    ...totals,
    amountPaid: 0n,
    couponCode: totals.discount > 0n ? (draft.coupon?.code ?? null) : null,
    reverseCharge: priced.reverseCharge,
    customerDetails: parties.customer,
    issuerDetails: parties.issuer,
    periodStart: draft.periodStart,
    periodEnd: draft.periodEnd,
    periodKey: draft.periodKey,
    createdAt: now,
    finalizedAt: now,
    paidAt: settled ? now : null,
  };
}

/** The idempotency key of a subscription's invoice for the period starting at `periodStart`. */
export function invoicePeriodKey({
  subscriptionId,
  periodStart,
}: {
  subscriptionId: string;
  periodStart: Date;
}): string {
  return `${subscriptionId}:${periodStart.toISOString()}`;
}

/**
 * Records an invoice whose payment was declined, as `void`, after the transaction that tried to charge it
 * was rolled back: nothing it would have changed (balance, subscription) exists, the attempt is kept.
 */
export async function recordVoidedInvoice({
  executor,
  invoice,
  numberPrefix,
  now,
}: {
  executor: Executor;
  invoice: Invoice;
  numberPrefix: string;
  now: Date;
}): Promise<Invoice> {
  const number = await nextInvoiceNumber({ executor, prefix: numberPrefix });
  const { lines, ...row } = invoice;
  const [saved] = await executor
    .insert(invoices)
    .values({ ...row, number, status: "void", paidAt: null, voidedAt: now, periodKey: null })
    .returning();
  if (!saved) throw new Error("invoice insert returned no row");
  const savedLines = await insertLines({ executor, invoice: saved, lines });
  await publishInvoiceCreated({ executor, invoice: saved, now });
  await publishEvent({
    executor,
    type: "invoice.voided",
    organizationId: saved.organizationId,
    data: { invoiceId: saved.id, number: saved.number, reason: "payment_declined" },
    now,
  });
  return { ...saved, lines: savedLines };
}

/**
 * The invoices a subscription's credit note corrects: the subscription's invoices (not voided, not credit
 * notes) whose period overlaps the period of the credit lines (the unused time they give back).
 */
async function correctedInvoiceIds({
  executor,
  draft,
  lines,
}: {
  executor: Executor;
  draft: InvoiceDraft;
  lines: readonly PricedLine[];
}): Promise<string[]> {
  if (draft.subscriptionId === null) return [];
  const credits = lines.filter((line) => line.amount < 0n && line.periodStart && line.periodEnd);
  if (credits.length === 0) return [];
  const start = new Date(Math.min(...credits.map((line) => line.periodStart?.getTime() ?? 0)));
  const end = new Date(Math.max(...credits.map((line) => line.periodEnd?.getTime() ?? 0)));
  const rows = await executor
    .select({ id: invoices.id })
    .from(invoices)
    .where(
      and(
        eq(invoices.subscriptionId, draft.subscriptionId),
        eq(invoices.documentType, "invoice"),
        inArray(invoices.status, ["paid", "open"]),
        lt(invoices.periodStart, end),
        gt(invoices.periodEnd, start),
      ),
    )
    .orderBy(asc(invoices.id));
  return rows.map((row) => row.id);
}

/**
 * `invoice.created` for a finalized invoice; `credit_note.created` for a credit note (a credit note is
 * not an invoice: it is announced as what it is, with the invoices it corrects and where its credit went).
 */
export async function publishInvoiceCreated({
  executor,
  invoice,
  now,
}: {
  executor: Executor;
  invoice: InvoiceRow;
  now: Date;
}): Promise<void> {
  if (invoice.documentType === "credit_note") {
    await publishEvent({
      executor,
      type: "credit_note.created",
      organizationId: invoice.organizationId,
      data: {
        invoiceId: invoice.id,
        creditNoteId: invoice.id,
        number: invoice.number,
        amount: -invoice.total,
        currency: invoice.currency,
        billingReason: invoice.billingReason,
        correctsInvoiceIds: invoice.correctsInvoiceIds,
        creditedTo: invoice.creditedTo ?? "balance",
      },
      now,
    });
    return;
  }
  await publishEvent({
    executor,
    type: "invoice.created",
    organizationId: invoice.organizationId,
    data: {
      invoiceId: invoice.id,
      number: invoice.number,
      subscriptionId: invoice.subscriptionId,
      kind: invoice.kind,
      billingReason: invoice.billingReason,
      status: invoice.status,
      currency: invoice.currency,
      total: invoice.total,
      amountDue: invoice.amountDue,
    },
    now,
  });
}

export async function markInvoicePaid({
  executor,
  invoiceId,
  amountPaid,
  now,
}: {
  executor: Executor;
  invoiceId: string;
  amountPaid: bigint;
  now: Date;
}): Promise<InvoiceRow> {
  const [row] = await executor
    .update(invoices)
    .set({ status: "paid", amountPaid, paidAt: now })
    .where(eq(invoices.id, invoiceId))
    .returning();
  if (!row) throw notFound("Invoice", invoiceId);
  return row;
}

/** Gapless: the counter row is locked and moved inside the finalizing transaction, so a rollback gives the number back. */
export async function nextInvoiceNumber({
  executor,
  prefix,
}: {
  executor: Executor;
  prefix: string;
}): Promise<string> {
  const result = await executor.execute<{ number: string }>(
    sql`with ${numberTaken(prefix)} select number from taken`,
  );
  const number = result.rows[0]?.number;
  if (number === undefined) throw new Error("the invoice number counter answered no row");
  return number;
}

/**
 * `taken`, a common table expression moving `prefix`'s counter and answering its next number
 * (`<prefix>-000001`…) as `number`, for the statement that writes it.
 */
function numberTaken(prefix: string): SQL {
  return sql`taken as (
      insert into ${invoiceNumberSequences} (issuer, last_number) values (${prefix}, 1)
      on conflict (issuer) do update set last_number = ${invoiceNumberSequences.lastNumber} + 1
      returning ${prefix} || '-' || lpad(last_number::text, greatest(6, length(last_number::text)), '0') as number)`;
}

async function insertLines({
  executor,
  invoice,
  lines,
}: {
  executor: Executor;
  invoice: { id: string; organizationId: string };
  lines: readonly (PricedLine | InvoiceLineRow)[];
}): Promise<InvoiceLineRow[]> {
  if (lines.length === 0) return [];
  return executor
    .insert(invoiceLines)
    .values(
      invoiceLineRows({ invoiceId: invoice.id, organizationId: invoice.organizationId, lines }),
    )
    .returning();
}

/**
 * An invoice's lines as rows, in order: priced lines (`priceInvoice`: each with its discount, the
 * carried one of a prorated line or its share of the coupon, and its tax on what is left), or the rows of
 * an invoice kept on record.
 */
export function invoiceLineRows({
  invoiceId,
  organizationId,
  lines,
}: {
  invoiceId: string;
  /** The invoice's organization, which its lines carry (the distribution key). */
  organizationId: string;
  lines: readonly (PricedLine | InvoiceLineRow)[];
}): (typeof invoiceLines.$inferInsert)[] {
  return lines.map((line, position) => ({
    invoiceId,
    organizationId,
    position,
    kind: line.kind,
    description: line.description,
    amount: line.amount,
    discount: line.discount ?? 0n,
    addonId: line.addonId ?? null,
    quantity: line.quantity,
    unitAmount: line.unitAmount,
    proration: line.proration,
    periodStart: line.periodStart,
    periodEnd: line.periodEnd,
    ...("tax" in line
      ? {
          taxableAmount: line.taxableAmount,
          taxAmount: line.tax?.amount ?? 0n,
          taxRateId: line.tax?.taxRateId ?? null,
          taxName: line.tax?.name ?? null,
          taxPercentage: line.tax?.percentage ?? null,
          taxInclusive: line.tax?.inclusive ?? null,
        }
      : {
          taxableAmount: line.taxableAmount,
          taxAmount: line.taxAmount,
          taxRateId: line.taxRateId,
          taxName: line.taxName,
          taxPercentage: line.taxPercentage,
          taxInclusive: line.taxInclusive,
        }),
  }));
}

export function newInvoiceId(now: Date): string {
  return newId("inv", now.getTime());
}

export async function getInvoice({
  executor,
  invoiceId,
}: {
  executor: Executor;
  invoiceId: string;
}): Promise<Invoice> {
  const [row] = await executor.select().from(invoices).where(eq(invoices.id, invoiceId));
  if (!row) throw notFound("Invoice", invoiceId);
  const lines = await executor
    .select()
    .from(invoiceLines)
    .where(eq(invoiceLines.invoiceId, invoiceId))
    .orderBy(asc(invoiceLines.position));
  return { ...row, lines };
}

/** Newest first, with their lines: every document, or only invoices or only credit notes (`documentType`). */
export async function listInvoices({
  db,
  organizationId,
  documentType,
  limit,
  cursor,
}: {
  db: Database;
  organizationId: string;
  documentType?: DocumentType;
  limit: number;
  cursor?: string | undefined;
}): Promise<Invoice[]> {
  const rows = await db
    .select()
    .from(invoices)
    .where(
      and(
        eq(invoices.organizationId, organizationId),
        documentType === undefined ? undefined : eq(invoices.documentType, documentType),
        cursor === undefined ? undefined : lt(invoices.id, cursor),
      ),
    )
    .orderBy(desc(invoices.id))
    .limit(limit);
  if (rows.length === 0) return [];
  const lines = await db
    .select()
    .from(invoiceLines)
    .where(
      and(
        inArray(
          invoiceLines.invoiceId,
          rows.map((row) => row.id),
        ),
        eq(invoiceLines.organizationId, organizationId),
      ),
    )
    .orderBy(asc(invoiceLines.position));
  return rows.map((row) => ({ ...row, lines: lines.filter((line) => line.invoiceId === row.id) }));
}
