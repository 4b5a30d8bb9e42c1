import { z } from "zod";
import { taxExemptions, taxIdTypes } from "../../db/schema/index.ts";
import type { BalanceTransaction } from "../../invoicing/balance-ledger.ts";
import type { Invoice } from "../../invoicing/invoices.ts";
import {
  summarizeTaxes,
  type TaxedLine,
  type TaxSummaryEntry,
  taxedLineOf,
} from "../../invoicing/tax-summary.ts";
import { toNumber } from "../../money/index.ts";

/** Response shapes of subscriptions and invoices (docs/billing.md); amounts leave as integers. */

/** A line's share of the discount (docs/billing.md "Coupons and prorated lines"). */
export const lineDiscount = z
  .number()
  .int()
  .describe(
    "The part of the discount on this line: the coupon's share of a full charge, or what a prorated charge carries. `amount − discount` is what the line charges. 0 on credits for unused time, which are valued at what was paid already.",
  );

export const postalAddressSchema = z.object({
  line1: z.string(),
  line2: z.string().nullable(),
  city: z.string(),
  region: z.string().nullable(),
  postalCode: z.string().nullable(),
  country: z.string().describe("ISO 3166-1 alpha-2."),
});

/** A line's tax (docs/billing.md "Taxes"): what it was computed on and at which rate. */
export const lineTaxFields = {
  taxableAmount: z
    .number()
    .int()
    .describe(
      "The line's amount after its share of the discount: what the tax is computed on (tax included when `taxInclusive`).",
    ),
  taxAmount: z.number().int().describe("The line's tax, rounded once; negative on a credit line."),
  taxRateId: z.string().nullable(),
  taxName: z.string().nullable().describe('e.g. "IVA"; null when the line bears no tax.'),
  taxPercentage: z.string().nullable().describe('Exact decimal string: "21", "10.5".'),
  taxInclusive: z
    .boolean()
    .nullable()
    .describe("`true`: the tax is inside `amount`; `false`: it is added to it."),
};

export const taxSummarySchema = z
  .array(
    z.object({
      taxRateId: z.string().nullable(),
      name: z.string(),
      percentage: z.string(),
      inclusive: z.boolean(),
      netAmount: z
        .number()
        .int()
        .describe('The base excluding the tax ("base imponible") the rate applied to.'),
      amount: z.number().int(),
    }),
  )
  .describe("The tax by rate, added up over the lines.");

export function lineTaxResponse({ taxableAmount, tax }: TaxedLine) {
  return {
    taxableAmount: toNumber(taxableAmount),
    taxAmount: toNumber(tax?.amount ?? 0n),
    taxRateId: tax?.taxRateId ?? null,
    taxName: tax?.name ?? null,
    taxPercentage: tax?.percentage ?? null,
    taxInclusive: tax?.inclusive ?? null,
  };
}

export function taxSummaryResponse(entries: readonly TaxSummaryEntry[]) {
  return entries.map((entry) => ({
    ...entry,
    netAmount: toNumber(entry.netAmount),
    amount: toNumber(entry.amount),
  }));
}

/** The invoices' issuer: legal name, address, tax id and email. */
export const issuerSchema = z.object({
  legalName: z.string(),
  address: postalAddressSchema.nullable(),
  taxId: z.string().nullable(),
  taxIdType: z.enum(taxIdTypes).nullable(),
  email: z.string().nullable(),
});

export const invoiceLineSchema = z.object({
  description: z.string(),
  amount: z.number().int(),
  discount: lineDiscount,
  quantity: z.number().int().nullable(),
  unitAmount: z.number().int().nullable(),
  proration: z.boolean(),
  periodStart: z.date().nullable(),
  periodEnd: z.date().nullable(),
  kind: z.string(),
  ...lineTaxFields,
});

export const invoiceSchema = z.object({
  id: z.string(),
  number: z.string().nullable(),
  organizationId: z.string(),
  subscriptionId: z.string().nullable(),
  kind: z.enum(["subscription", "one_off", "settlement"]),
  documentType: z
    .enum(["invoice", "credit_note"])
    .describe(
      '`credit_note` for a credit (a negative total): numbered in its own sequence and listed at `GET /v1/organizations/{orgId}/credit-notes` (docs/billing.md "Credit notes").',
    ),
  status: z.enum(["draft", "open", "paid", "void", "uncollectible"]),
  billingReason: z.string(),
  currency: z.string(),
  lines: z.array(invoiceLineSchema),
  subtotal: z.number().int().describe("The lines added up, as priced."),
  discount: z.number().int(),
  tax: z.number().int().describe('The lines\' taxes added up (docs/billing.md "Taxes").'),
  taxes: taxSummarySchema,
  total: z
    .number()
    .int()
    .describe(
      "`subtotal − discount`, plus the tax of tax-exclusive lines (the tax of inclusive lines is already inside them): what the invoice comes to, tax included.",
    ),
  totalExcludingTax: z.number().int().describe("`total − tax`."),
  reverseCharge: z
    .boolean()
    .describe("The customer accounts for the tax (reverse charge): no tax, and the PDF says so."),
  balanceApplied: z.number().int(),
  creditedToBalance: z.number().int(),
  amountDue: z.number().int(),
  amountPaid: z.number().int(),
  amountRefunded: z.number().int(),
  couponCode: z.string().nullable(),
  correctsInvoiceIds: z
    .array(z.string())
    .describe("A credit note: the invoices it corrects. Empty on invoices."),
  creditedTo: z
    .enum(["balance", "payment_method"])
    .nullable()
    .describe(
      "A credit note: where its credit went, the credit balance (`creditedToBalance`) or back to the payment method (`amountRefunded`). Null on invoices.",
    ),
  reason: z.string().nullable().describe("A refund's credit note: why root refunded."),
  customer: z
    .object({
      name: z.string(),
      legalName: z.string().nullable(),
      address: postalAddressSchema.nullable(),
      email: z.string().nullable(),
      taxId: z.string().nullable(),
      taxIdType: z.enum(taxIdTypes).nullable(),
      taxExempt: z.enum(taxExemptions),
    })
    .nullable()
    .describe(
      "Who the invoice was issued to, as the organization's billing details were when it was finalized (null on invoices issued before billing details existed).",
    ),
  issuer: issuerSchema
    .nullable()
    .describe("Who issued the invoice, as the issuer was configured when it was finalized."),
  periodStart: z.date().nullable(),
  periodEnd: z.date().nullable(),
  createdAt: z.date(),
  paidAt: z.date().nullable(),
  voidedAt: z.date().nullable(),
});

export function invoiceResponse(invoice: Invoice): z.infer<typeof invoiceSchema> {
  const taxedLines = invoice.lines.map(taxedLineOf);
  const issuer = invoice.issuerDetails;
  return {
    id: invoice.id,
    number: invoice.number,
    organizationId: invoice.organizationId,
    subscriptionId: invoice.subscriptionId,
    kind: invoice.kind,
    documentType: invoice.documentType,
    status: invoice.status,
    billingReason: invoice.billingReason,
    currency: invoice.currency,
    lines: invoice.lines.map((line, index) => ({
      description: line.description,
      amount: toNumber(line.amount),
      discount: toNumber(line.discount),
      quantity: line.quantity === null ? null : toNumber(line.quantity),
      unitAmount: line.unitAmount === null ? null : toNumber(line.unitAmount),
      proration: line.proration,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      kind: line.kind,
      ...lineTaxResponse(taxedLines[index] ?? taxedLineOf(line)),
    })),
    subtotal: toNumber(invoice.subtotal),
    discount: toNumber(invoice.discount),
    tax: toNumber(invoice.tax),
    taxes: taxSummaryResponse(summarizeTaxes(taxedLines)),
    total: toNumber(invoice.total),
    totalExcludingTax: toNumber(invoice.total - invoice.tax),
    reverseCharge: invoice.reverseCharge,
    balanceApplied: toNumber(invoice.balanceApplied),
    creditedToBalance: toNumber(invoice.creditedToBalance),
    amountDue: toNumber(invoice.amountDue),
    amountPaid: toNumber(invoice.amountPaid),
    amountRefunded: toNumber(invoice.amountRefunded),
    couponCode: invoice.couponCode,
    correctsInvoiceIds: invoice.correctsInvoiceIds,
    creditedTo: invoice.creditedTo,
    reason: invoice.reason,
    customer: invoice.customerDetails,
    issuer: issuer && {
      legalName: issuer.legalName,
      address: issuer.address,
      taxId: issuer.taxId,
      taxIdType: issuer.taxIdType,
      email: issuer.email,
    },
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    createdAt: invoice.createdAt,
    paidAt: invoice.paidAt,
    voidedAt: invoice.voidedAt,
  };
}

/**
 * A credit note (docs/billing.md "Credit notes"): stored and shaped like an invoice, with a negative
 * total, and `issued` (or `void`) instead of an invoice's payment status.
 */
export const creditNoteSchema = invoiceSchema.extend({
  documentType: z.literal("credit_note"),
  status: z
    .enum(["issued", "void"])
    .describe(
      "`issued`: its credit went where `creditedTo` says. Nothing is owed on a credit note.",
    ),
});

export function creditNoteResponse(invoice: Invoice): z.infer<typeof creditNoteSchema> {
  return {
    ...invoiceResponse(invoice),
    documentType: "credit_note",
    status: invoice.status === "void" ? "void" : "issued",
  };
}

export const subscriptionSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  planId: z.string(),
  planVersion: z.number().int(),
  interval: z.enum(["month", "year"]),
  currency: z.string(),
  status: z.enum(["incomplete", "trialing", "active", "past_due", "canceled", "expired"]),
  currentPeriodStart: z.date(),
  currentPeriodEnd: z.date(),
  trialEndsAt: z.date().nullable(),
  cancelAtPeriodEnd: z.boolean(),
  canceledAt: z.date().nullable(),
  endedAt: z.date().nullable(),
  couponCode: z.string().nullable(),
  items: z.array(z.object({ addonId: z.string(), quantity: z.number().int() })),
  scheduledChange: z
    .object({ planId: z.string(), interval: z.enum(["month", "year"]), effectiveAt: z.string() })
    .nullable(),
  createdAt: z.date(),
});

/** One entry of the append-only balance ledger, as every route answers it; positive amounts add credit. */
export const balanceTransactionSchema = z.object({
  id: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  type: z.string(),
  invoiceId: z.string().nullable(),
  description: z.string(),
  createdAt: z.date(),
});

export function balanceTransactionResponse(transaction: BalanceTransaction) {
  return {
    id: transaction.id,
    amount: toNumber(transaction.amount),
    currency: transaction.currency,
    type: transaction.type,
    invoiceId: transaction.invoiceId,
    description: transaction.description,
    createdAt: transaction.createdAt,
  };
}
