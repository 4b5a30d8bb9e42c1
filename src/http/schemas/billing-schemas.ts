import { z } from "zod";
import type { Invoice } from "../../invoicing/invoices.ts";
import { toNumber } from "../../money/index.ts";

/** Response shapes of subscriptions and invoices (docs/billing.md); amounts leave as integers. */

/** A line's share of the discount (docs/billing.md "Coupons and prorated lines"). */
export const lineDiscount = z
  .number()
  .int()
  .describe(
    "The part of the discount on this line: the coupon's share of a full charge, or what a prorated charge carries. `amount − discount` is what the line charges. 0 on credits for unused time, which are valued at what was paid already.",
  );

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
});

export const invoiceSchema = z.object({
  id: z.string(),
  number: z.string().nullable(),
  organizationId: z.string(),
  subscriptionId: z.string().nullable(),
  kind: z.enum(["subscription", "one_off", "settlement"]),
  status: z.enum(["draft", "open", "paid", "void", "uncollectible"]),
  billingReason: z.string(),
  currency: z.string(),
  lines: z.array(invoiceLineSchema),
  subtotal: z.number().int(),
  discount: z.number().int(),
  total: z.number().int(),
  balanceApplied: z.number().int(),
  creditedToBalance: z.number().int(),
  amountDue: z.number().int(),
  amountPaid: z.number().int(),
  amountRefunded: z.number().int(),
  couponCode: z.string().nullable(),
  periodStart: z.date().nullable(),
  periodEnd: z.date().nullable(),
  createdAt: z.date(),
  paidAt: z.date().nullable(),
  voidedAt: z.date().nullable(),
});

export function invoiceResponse(invoice: Invoice): z.infer<typeof invoiceSchema> {
  return {
    id: invoice.id,
    number: invoice.number,
    organizationId: invoice.organizationId,
    subscriptionId: invoice.subscriptionId,
    kind: invoice.kind,
    status: invoice.status,
    billingReason: invoice.billingReason,
    currency: invoice.currency,
    lines: invoice.lines.map((line) => ({
      description: line.description,
      amount: toNumber(line.amount),
      discount: toNumber(line.discount),
      quantity: line.quantity === null ? null : toNumber(line.quantity),
      unitAmount: line.unitAmount === null ? null : toNumber(line.unitAmount),
      proration: line.proration,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      kind: line.kind,
    })),
    subtotal: toNumber(invoice.subtotal),
    discount: toNumber(invoice.discount),
    total: toNumber(invoice.total),
    balanceApplied: toNumber(invoice.balanceApplied),
    creditedToBalance: toNumber(invoice.creditedToBalance),
    amountDue: toNumber(invoice.amountDue),
    amountPaid: toNumber(invoice.amountPaid),
    amountRefunded: toNumber(invoice.amountRefunded),
    couponCode: invoice.couponCode,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    createdAt: invoice.createdAt,
    paidAt: invoice.paidAt,
    voidedAt: invoice.voidedAt,
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
