import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { listInvoices } from "../../invoicing/invoices.ts";
import { toNumber } from "../../money/index.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import { refundInvoice } from "../../payments/refund-invoice.ts";
import { payOutBalance } from "../../root/pay-out-balance.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import {
  balanceTransactionResponse,
  balanceTransactionSchema,
  creditNoteResponse,
  creditNoteSchema,
} from "../schemas/billing-schemas.ts";
import { pdfResponse, sendInvoicePdf } from "../send-invoice-pdf.ts";
import { visibleInvoice } from "../visible-invoice.ts";
import { billingServices } from "./subscriptions.ts";

const tags = ["invoices"];
const orgParams = z.object({ orgId: z.string() });
const creditNoteParams = z.object({ creditNoteId: z.string() });

const reasonMessage =
  "reason is required: say why, with a ticket or approval reference (e.g. “Service outage refund / OPS-1234”)";
const reasonInput = z
  .string({ error: reasonMessage })
  .trim()
  .min(1, reasonMessage)
  .max(2000, "reason must be at most 2000 characters");
const amountInput = z
  .number({ error: "amount must be a whole number of minor units above 0" })
  .int("amount must be a whole number of minor units (e.g. 1999 for 19.99)")
  .min(1, "amount must be at least 1 minor unit")
  .max(Number.MAX_SAFE_INTEGER, "amount is too large");

const refundSchema = z.object({
  paymentId: z.string(),
  provider: z.string(),
  providerRefundId: z.string(),
  amount: z.number().int(),
});

/**
 * Credit notes (docs/billing.md "Credit notes"), refunds of paid invoices and balance payouts
 * (docs/billing.md "Refunds", "Payouts"). Credit notes are seen as invoices are (`visibleInvoice`).
 */
export const creditNoteRoutes: RouteModule = (app, dependencies) => {
  const { db, readDb, clock } = dependencies;

  app.get(
    "/v1/organizations/:orgId/credit-notes",
    {
      config: { access: access.organization("owner", "billing_admin") },
      schema: {
        tags,
        summary: "List an organization's credit notes",
        description:
          "Newest first: downgrade and license credits, unused time credited on cancellation, refunds. Each names the invoices it corrects and where its credit went.",
        params: orgParams,
        querystring: listQuery,
        response: { 200: listResponse(creditNoteSchema) },
      },
    },
    async (request) => {
      await getOrganizationRecord({ db, organizationId: request.params.orgId });
      const { limit, cursor } = request.query;
      const rows = await listInvoices({
        db: readDb,
        organizationId: request.params.orgId,
        documentType: "credit_note",
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(creditNoteResponse) };
    },
  );

  app.get(
    "/v1/credit-notes/:creditNoteId",
    {
      config: { access: access.authenticated },
      schema: {
        tags,
        summary: "Get a credit note",
        description:
          "One credit note with its lines (negative: the credit, tax included) and totals. The organization's owners and billing admins, and root; others get 404.",
        params: creditNoteParams,
        response: { 200: creditNoteSchema },
      },
    },
    async (request) =>
      creditNoteResponse(
        await visibleInvoice({
          dependencies,
          principal: request.principal,
          invoiceId: request.params.creditNoteId,
          documentType: "credit_note",
        }),
      ),
  );

  app.get(
    "/v1/credit-notes/:creditNoteId/pdf",
    {
      config: { access: access.authenticated },
      schema: {
        tags,
        summary: "The credit note as a PDF",
        description:
          "“Nota de crédito” / “Credit note” in the organization's locale (es or en), with the invoices it corrects, served inline with its number as the file name. The organization's owners and billing admins, and root; others get 404.",
        params: creditNoteParams,
        response: { 200: pdfResponse },
      },
    },
    async (request, reply) =>
      sendInvoicePdf({
        dependencies,
        reply,
        invoice: await visibleInvoice({
          dependencies,
          principal: request.principal,
          invoiceId: request.params.creditNoteId,
          documentType: "credit_note",
        }),
      }),
  );

  app.post(
    "/v1/invoices/:invoiceId/refunds",
    {
      config: { access: access.root, errors: ["invalid_state", "provider_error"] },
      schema: {
        tags,
        summary: "Refund a paid invoice (root)",
        description:
          "Gives back `amount` (minor units, tax included; default: all that is left to refund) of a paid invoice, `to` the payment method that paid it (through its provider's refund API) or to the organization's credit `balance` (a `refund_to_balance` ledger entry). Issues a credit note whose lines reverse the invoice's lines and tax in proportion. The refunds of an invoice never add up to more than was paid for it, by the payment method and the balance (409 `invalid_state` says how much is left); to the payment method, at most what the payment method paid less what was refunded already. A provider's refusal or outage answers 502 `provider_error` and nothing changes. Audited (`invoice.refunded`) with the reason; publishes `credit_note.created`, and `payment.refunded` or `balance.changed`.",
        params: z.object({ invoiceId: z.string() }),
        body: z.strictObject({
          amount: amountInput.optional(),
          to: z.enum(["payment_method", "balance"], {
            error: 'to must be "payment_method" or "balance"',
          }),
          reason: reasonInput,
        }),
        response: {
          201: z.object({
            creditNote: creditNoteSchema,
            refunds: z
              .array(refundSchema)
              .describe("The provider refunds made (empty for a refund to the balance)."),
            refundable: z.number().int().describe("What is left to refund of the invoice."),
            auditLogId: z.string(),
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await refundInvoice({
        services: billingServices(dependencies),
        invoiceId: request.params.invoiceId,
        amount: request.body.amount === undefined ? undefined : BigInt(request.body.amount),
        to: request.body.to,
        reason: request.body.reason,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return reply.code(201).send({
        creditNote: creditNoteResponse(result.creditNote),
        refunds: result.refunds.map((refund) => ({
          paymentId: refund.paymentId,
          provider: refund.provider,
          providerRefundId: refund.providerRefundId,
          amount: toNumber(refund.refunded),
        })),
        refundable: toNumber(result.refundable),
        auditLogId: result.auditLogId,
      });
    },
  );

  app.post(
    "/v1/organizations/:orgId/balance/payouts",
    {
      config: { access: access.root, errors: ["invalid_state", "provider_error"] },
      schema: {
        tags,
        summary: "Pay out the credit balance to the payment method (root)",
        description:
          "Refunds `amount` (default: the whole balance) of the organization's credit balance to its payment method, through the providers of its most recent payments that have money left to refund, and consumes it with a `payout` ledger entry: e.g. when the organization cancels. At most the balance, and at most what its payments can still give back (409 `invalid_state`). A provider's refusal or outage answers 502 `provider_error` and nothing changes. Audited (`balance.paid_out`); publishes `payment.refunded` and `balance.changed`.",
        params: orgParams,
        body: z.strictObject({ amount: amountInput.optional(), reason: reasonInput }),
        response: {
          201: z.object({
            transaction: balanceTransactionSchema,
            refunds: z.array(refundSchema),
            balance: z.object({ currency: z.string(), available: z.number().int() }),
            auditLogId: z.string(),
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await payOutBalance({
        services: billingServices(dependencies),
        organizationId: request.params.orgId,
        amount: request.body.amount === undefined ? undefined : BigInt(request.body.amount),
        reason: request.body.reason,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return reply.code(201).send({
        transaction: balanceTransactionResponse(result.transaction),
        refunds: result.refunds.map((refund) => ({
          paymentId: refund.paymentId,
          provider: refund.provider,
          providerRefundId: refund.providerRefundId,
          amount: toNumber(refund.refunded),
        })),
        balance: { currency: result.currency, available: toNumber(result.available) },
        auditLogId: result.auditLogId,
      });
    },
  );
};
