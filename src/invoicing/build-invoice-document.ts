import { and, asc, eq, inArray } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import {
  type InvoiceIssuerDetails,
  organizations,
  paymentMethods,
  payments,
} from "../db/schema/index.ts";
import { localeOf } from "../i18n/billing-messages.ts";
import type { Logger } from "../logger.ts";
import { customerDetailsOf } from "../organizations/billing-details.ts";
import type { InvoiceDocument, InvoiceDocumentPayment } from "./invoice-document.ts";
import { invoiceNumbersOf } from "./invoice-numbers-of.ts";
import type { Invoice } from "./invoices.ts";
import { readLogo, resolveIssuer } from "./issuer.ts";
import { summarizeTaxes, taxedLineOf } from "./tax-summary.ts";

/**
 * What the PDF of `invoice` shows: the customer and issuer as they were when it was finalized (for an
 * invoice finalized before they were recorded, the organization's billing details and the issuer as they
 * are now), the issuer's logo, the tax of each line and by rate, the payments that paid it, and the
 * period its lines cover.
 */
export async function buildInvoiceDocument({
  executor,
  invoice,
  issuerDefaults,
  logger,
}: {
  executor: Executor;
  invoice: Invoice;
  issuerDefaults: InvoiceIssuerDetails;
  logger: Logger;
}): Promise<InvoiceDocument> {
  const [organization] = await executor
    .select()
    .from(organizations)
    .where(eq(organizations.id, invoice.organizationId));
  const customer =
    invoice.customerDetails ??
    (organization
      ? customerDetailsOf(organization)
      : {
          name: invoice.organizationId,
          legalName: null,
          address: null,
          email: null,
          taxId: null,
          taxIdType: null,
          taxExempt: "none" as const,
        });
  const issuer =
    invoice.issuerDetails ?? (await resolveIssuer({ executor, defaults: issuerDefaults }));
  const taxedLines = invoice.lines.map(taxedLineOf);
  return {
    id: invoice.id,
    documentType: invoice.documentType,
    number: invoice.number,
    corrects: await invoiceNumbersOf({ executor, invoiceIds: invoice.correctsInvoiceIds }),
    kind: invoice.kind,
    status: invoice.status,
    currency: invoice.currency,
    locale: localeOf(invoice.locale),
    issuer: {
      name: issuer.legalName,
      address: issuer.address,
      taxId: issuer.taxId,
      taxIdType: issuer.taxIdType,
      email: issuer.email,
      logo: await logoBytes({ path: issuer.logoPath, logger }),
    },
    customer: {
      name: customer.legalName ?? customer.name,
      tradeName:
        customer.legalName !== null && customer.legalName !== customer.name ? customer.name : null,
      reference: invoice.organizationId,
      address: customer.address,
      taxId: customer.taxId,
      taxIdType: customer.taxIdType,
      email: customer.email,
    },
    lines: invoice.lines.map((line, index) => ({
      description: line.description,
      quantity: line.quantity,
      unitAmount: line.unitAmount,
      amount: line.amount,
      proration: line.proration,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      taxPercentage: taxedLines[index]?.tax?.percentage ?? null,
    })),
    subtotal: invoice.subtotal,
    discount: invoice.discount,
    taxes: summarizeTaxes(taxedLines),
    total: invoice.total,
    balanceApplied: invoice.balanceApplied,
    creditedToBalance: invoice.creditedToBalance,
    amountDue: invoice.amountDue,
    amountPaid: invoice.amountPaid,
    amountRefunded: invoice.documentType === "credit_note" ? invoice.amountRefunded : 0n,
    reverseCharge: invoice.reverseCharge,
    taxExempt: customer.taxExempt === "exempt",
    payments: await invoicePayments({ executor, invoiceId: invoice.id }),
    ...coveredPeriod(invoice),
    createdAt: invoice.createdAt,
    paidAt: invoice.paidAt,
  };
}

/**
 * The span the invoice's lines cover, from the earliest line start to the latest line end: a plan change
 * made mid-period covers the rest of the period, not all of it. The invoice's own period when no line has one.
 */
export function coveredPeriod(invoice: Pick<Invoice, "periodStart" | "periodEnd" | "lines">): {
  periodStart: Date | null;
  periodEnd: Date | null;
} {
  const starts = invoice.lines.flatMap((line) => (line.periodStart ? [line.periodStart] : []));
  const ends = invoice.lines.flatMap((line) => (line.periodEnd ? [line.periodEnd] : []));
  if (starts.length === 0 || ends.length === 0) {
    return { periodStart: invoice.periodStart, periodEnd: invoice.periodEnd };
  }
  return {
    periodStart: new Date(Math.min(...starts.map((date) => date.getTime()))),
    periodEnd: new Date(Math.max(...ends.map((date) => date.getTime()))),
  };
}

/** The successful payments of the invoice (refunded later included), oldest first, with their method. */
async function invoicePayments({
  executor,
  invoiceId,
}: {
  executor: Executor;
  invoiceId: string;
}): Promise<InvoiceDocumentPayment[]> {
  const rows = await executor
    .select({
      provider: payments.provider,
      reference: payments.providerPaymentId,
      amount: payments.amount,
      paidAt: payments.createdAt,
      method: paymentMethods.description,
    })
    .from(payments)
    .leftJoin(paymentMethods, eq(paymentMethods.id, payments.paymentMethodId))
    .where(
      and(eq(payments.invoiceId, invoiceId), inArray(payments.status, ["succeeded", "refunded"])),
    )
    .orderBy(asc(payments.createdAt), asc(payments.id));
  return rows.filter((row) => row.amount > 0n);
}

async function logoBytes({
  path,
  logger,
}: {
  path: string | null;
  logger: Logger;
}): Promise<Buffer | null> {
  if (path === null) return null;
  const logo = await readLogo(path);
  if (logo.problem !== null) {
    logger.warn(
      { logoPath: path, problem: logo.problem },
      "the issuer's logo is left off invoice PDFs",
    );
  }
  return logo.bytes;
}
