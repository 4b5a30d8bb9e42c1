import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { documentTypes } from "../../db/schema/index.ts";
import { availableBalance, listBalanceTransactions } from "../../invoicing/balance-ledger.ts";
import { listInvoices } from "../../invoicing/invoices.ts";
import { toNumber } from "../../money/index.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import {
  addPaymentMethod,
  listPaymentMethods,
  removePaymentMethod,
  setDefaultPaymentMethod,
} from "../../payments/payment-methods.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import {
  balanceTransactionResponse,
  balanceTransactionSchema,
  invoiceResponse,
  invoiceSchema,
} from "../schemas/billing-schemas.ts";
import { pdfResponse, sendInvoicePdf } from "../send-invoice-pdf.ts";
import { visibleInvoice } from "../visible-invoice.ts";

const orgParams = z.object({ orgId: z.string() });
const billingRoles = access.organization("owner", "billing_admin");

export const paymentMethodSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  provider: z.string(),
  description: z.string().nullable(),
  default: z.boolean(),
  createdAt: z.date(),
});

/** Invoices, their PDFs, the credit balance and payment methods: docs/billing.md. */
export const invoiceRoutes: RouteModule = (app, dependencies) => {
  const { db, readDb, clock, providers } = dependencies;

  app.get(
    "/v1/organizations/:orgId/invoices",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "List an organization's invoices",
        description:
          "Newest first. Every billing document: invoices and, with `documentType: credit_note` and their own numbers, the credit notes that correct them (a downgrade's credit, a refund). `documentType=invoice` lists invoices only; `GET /v1/organizations/{orgId}/credit-notes` lists credit notes only.",
        params: orgParams,
        querystring: listQuery.extend({
          documentType: z
            .enum(documentTypes)
            .optional()
            .describe(
              "Only invoices (`invoice`) or only credit notes (`credit_note`); both when absent.",
            ),
        }),
        response: { 200: listResponse(invoiceSchema) },
      },
    },
    async (request) => {
      await getOrganizationRecord({ db, organizationId: request.params.orgId });
      const { limit, cursor, documentType } = request.query;
      const rows = await listInvoices({
        db: readDb,
        organizationId: request.params.orgId,
        documentType,
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(invoiceResponse) };
    },
  );

  app.get(
    "/v1/invoices/:invoiceId",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["invoices"],
        summary: "Get an invoice",
        description:
          "One invoice with its lines and totals (a credit note's id answers too, with `documentType: credit_note`: a plan change names its credit note among its `invoices`). The organization's owners and billing admins, and root; others get 404.",
        params: z.object({ invoiceId: z.string() }),
        response: { 200: invoiceSchema },
      },
    },
    async (request) =>
      invoiceResponse(
        await visibleInvoice({
          dependencies,
          principal: request.principal,
          invoiceId: request.params.invoiceId,
        }),
      ),
  );

  app.get(
    "/v1/invoices/:invoiceId/pdf",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["invoices"],
        summary: "The invoice as a PDF",
        description:
          "The invoice rendered as a PDF in the organization's locale (es or en), served inline with the invoice number as the file name. The organization's owners and billing admins, and root; others get 404.",
        params: z.object({ invoiceId: z.string() }),
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
          invoiceId: request.params.invoiceId,
        }),
      }),
  );

  app.get(
    "/v1/organizations/:orgId/balance",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "The credit balance and its ledger",
        description:
          "`available` is the credit in the organization's favour; it applies automatically to subscription invoices only. Transactions newest first; positive amounts add credit.",
        params: orgParams,
        querystring: listQuery,
        response: {
          200: z.object({
            currency: z.string().nullable(),
            available: z.number().int(),
            transactions: z.array(balanceTransactionSchema),
            hasMore: z.boolean(),
            nextCursor: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const organization = await getOrganizationRecord({
        db,
        organizationId: request.params.orgId,
      });
      const { limit, cursor } = request.query;
      const available = await availableBalance({ executor: db, organizationId: organization.id });
      const rows = await listBalanceTransactions({
        executor: db,
        organizationId: organization.id,
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit);
      return {
        currency: organization.currency,
        available: toNumber(available),
        transactions: page.data.map(balanceTransactionResponse),
        hasMore: page.hasMore,
        nextCursor: page.nextCursor,
      };
    },
  );

  app.post(
    "/v1/organizations/:orgId/payment-methods",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "Add a payment method",
        description:
          "The first method becomes the default; `default: true` makes a new one the default. Sandbox tokens: pm_sandbox_ok (always succeeds), pm_sandbox_declined (always declines).",
        params: orgParams,
        body: z.object({
          provider: z.string().min(1).max(50),
          token: z.string().min(1).max(500),
          default: z.boolean().default(false),
        }),
        response: { 201: paymentMethodSchema },
      },
    },
    async (request, reply) => {
      await getOrganizationRecord({ db, organizationId: request.params.orgId });
      const method = await addPaymentMethod({
        db,
        providers,
        organizationId: request.params.orgId,
        provider: request.body.provider,
        token: request.body.token,
        makeDefault: request.body.default,
        now: clock(),
      });
      return reply.code(201).send({ ...method, default: method.isDefault });
    },
  );

  app.get(
    "/v1/organizations/:orgId/payment-methods",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "List payment methods",
        description:
          "The organization's stored payment methods; one is the default. Owners, billing admins and root.",
        params: orgParams,
        response: {
          200: z.object({
            data: z.array(paymentMethodSchema),
            hasMore: z.boolean(),
            nextCursor: z.null(),
          }),
        },
      },
    },
    async (request) => {
      await getOrganizationRecord({ db, organizationId: request.params.orgId });
      const methods = await listPaymentMethods({ db, organizationId: request.params.orgId });
      return {
        data: methods.map((method) => ({ ...method, default: method.isDefault })),
        hasMore: false,
        nextCursor: null,
      };
    },
  );
  const methodParams = z.object({ orgId: z.string(), paymentMethodId: z.string() });

  app.post(
    "/v1/organizations/:orgId/payment-methods/:paymentMethodId/default",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "Make a payment method the default",
        description:
          "Renewals, plan changes and pack purchases charge the default method. Owners, billing admins and root; 404 for a method that is not the organization's or was removed.",
        params: methodParams,
        response: { 200: paymentMethodSchema },
      },
    },
    async (request) => {
      const method = await setDefaultPaymentMethod({
        db,
        organizationId: request.params.orgId,
        paymentMethodId: request.params.paymentMethodId,
      });
      return { ...method, default: method.isDefault };
    },
  );

  app.delete(
    "/v1/organizations/:orgId/payment-methods/:paymentMethodId",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "Remove a payment method",
        description:
          "The method is no longer listed or charged (past payments keep naming it). Removing the default makes the most recently added remaining method the default (`newDefault`); with none left, charges answer 402 `payment_failed` with `details.reason` `no_payment_method` until one is added.",
        params: methodParams,
        response: {
          200: z.object({
            removed: paymentMethodSchema,
            newDefault: paymentMethodSchema.nullable(),
          }),
        },
      },
    },
    async (request) => {
      const { removed, newDefault } = await removePaymentMethod({
        db,
        organizationId: request.params.orgId,
        paymentMethodId: request.params.paymentMethodId,
        now: clock(),
      });
      return {
        removed: { ...removed, default: false },
        newDefault: newDefault && { ...newDefault, default: true },
      };
    },
  );
};
