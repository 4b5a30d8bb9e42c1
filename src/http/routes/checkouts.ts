import { and, desc, eq, lt } from "drizzle-orm";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import type { CheckoutRow } from "../../checkout/checkout-records.ts";
import { getCheckout } from "../../checkout/checkout-records.ts";
import { handlePaymentNotice } from "../../checkout/handle-payment-notice.ts";
import { quoteCheckout, startCheckout } from "../../checkout/start-checkout.ts";
import { checkouts } from "../../db/schema/index.ts";
import { AbonoError, invalidState, validationError } from "../../errors.ts";
import { toNumber } from "../../money/index.ts";
import { checkoutProviderOf, offeredCheckoutProviders } from "../../payments/checkout-providers.ts";
import { findLiveSubscription } from "../../subscriptions/subscription-records.ts";
import { subscriptionView } from "../../subscriptions/subscription-view.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { invoiceResponse, invoiceSchema, subscriptionSchema } from "../schemas/billing-schemas.ts";
import { catalogKey, currencyInput, intervalSchema } from "../schemas/catalog-schemas.ts";
import { billingServices } from "./subscriptions.ts";

const billingRoles = access.organization("owner", "billing_admin");
const orgParams = z.object({ orgId: z.string() });
const checkoutParams = z.object({ orgId: z.string(), checkoutId: z.string() });

export const checkoutSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  provider: z.string(),
  planId: z.string(),
  planVersion: z.number().int(),
  interval: z.enum(["month", "year"]),
  couponCode: z.string().nullable(),
  currency: z.string(),
  amount: z.number().int(),
  isUpgrade: z.boolean(),
  status: z.enum(["open", "completed", "failed", "canceled", "stale"]),
  redirectUrl: z.string().nullable(),
  providerCheckoutId: z.string().nullable(),
  failureCode: z.string().nullable(),
  failureMessage: z.string().nullable(),
  paymentId: z.string().nullable(),
  subscriptionId: z.string().nullable(),
  invoiceId: z.string().nullable(),
  createdAt: z.date(),
  completedAt: z.date().nullable(),
});

export function checkoutResponse(row: CheckoutRow): z.infer<typeof checkoutSchema> {
  return {
    id: row.id,
    organizationId: row.organizationId,
    provider: row.provider,
    planId: row.planId,
    planVersion: row.planVersion,
    interval: row.interval,
    couponCode: row.couponCode,
    currency: row.currency,
    amount: toNumber(row.amount),
    isUpgrade: row.isUpgrade,
    status: row.status,
    redirectUrl: row.redirectUrl,
    providerCheckoutId: row.providerCheckoutId,
    failureCode: row.failureCode,
    failureMessage: row.failureMessage,
    paymentId: row.paymentId,
    subscriptionId: row.subscriptionId,
    invoiceId: row.invoiceId,
    createdAt: row.createdAt,
    completedAt: row.completedAt,
  };
}

const checkoutPlanFields = {
  planId: catalogKey,
  interval: intervalSchema,
  couponCode: z.string().min(1).max(64).optional(),
  currency: currencyInput.optional(),
};

const checkoutResult = z.object({
  checkout: checkoutSchema,
  subscription: subscriptionSchema.nullable(),
  invoices: z.array(invoiceSchema),
});

/** Checkout (docs/payments.md): start, follow and (PayPal) capture a purchase of a plan. */
export const checkoutRoutes: RouteModule = (app, dependencies) => {
  const { db, clock } = dependencies;
  const services = billingServices(dependencies);

  app.post(
    "/v1/organizations/:orgId/checkouts",
    {
      config: { access: billingRoles, errors: ["invalid_state"] },
      schema: {
        tags: ["checkout"],
        summary: "Start a checkout for a plan",
        description:
          "Quotes the plan (a new subscription's first invoice, or an upgrade's proration) and either completes at once — nothing to pay (100% coupon, free plan, trial) or `provider: sandbox` in test mode — or creates the provider's checkout and returns `checkout.redirectUrl` for the customer. The payment arrives by webhook (Stripe, MercadoPago) or capture (PayPal) and runs the payment success pipeline.",
        params: orgParams,
        body: z.object({
          ...checkoutPlanFields,
          provider: z
            .enum(["stripe", "mercadopago", "paypal", "sandbox"], {
              error: "provider must be one of stripe, mercadopago, paypal, sandbox",
            })
            .optional()
            .describe("Required unless nothing is due (100% coupon, free plan, trial)."),
          successUrl: z.url().optional(),
          cancelUrl: z.url().optional(),
        }),
        response: { 201: checkoutResult },
      },
    },
    async (request, reply) => {
      const started = await startCheckout({
        services,
        organizationId: request.params.orgId,
        request: {
          ...request.body,
          provider: request.body.provider,
          couponCode: request.body.couponCode,
          currency: request.body.currency,
          successUrl: request.body.successUrl,
          cancelUrl: request.body.cancelUrl,
        },
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return reply.code(201).send({
        checkout: checkoutResponse(started.checkout),
        subscription: started.subscription,
        invoices: started.invoices.map(invoiceResponse),
      });
    },
  );

  app.post(
    "/v1/organizations/:orgId/checkouts/quote",
    {
      config: { access: billingRoles, errors: ["invalid_state"] },
      schema: {
        tags: ["checkout"],
        summary: "Quote a checkout (validate a coupon, show the amount)",
        description:
          "What `POST /v1/organizations/:orgId/checkouts` with the same plan, interval and coupon would charge, computed by the same code and not saved: the lines, discount, credit balance used and `amount` due now, and the providers that may take the payment (none needed when `amount` is 0). A coupon that cannot be used answers 400 `validation_error` saying why, as the checkout would.",
        params: orgParams,
        body: z.object(checkoutPlanFields),
        response: {
          200: z.object({
            planId: z.string(),
            interval: intervalSchema,
            currency: z.string(),
            lines: z.array(z.object({ description: z.string(), amount: z.number().int() })),
            subtotal: z.number().int(),
            discount: z.number().int(),
            balanceApplied: z.number().int(),
            amount: z.number().int().describe("Due now, in minor units."),
            isUpgrade: z.boolean().describe("A change of the live subscription, not a new one."),
            providers: z.array(z.string()),
          }),
        },
      },
    },
    async (request) => {
      const quote = await quoteCheckout({
        services,
        organizationId: request.params.orgId,
        request: {
          ...request.body,
          couponCode: request.body.couponCode,
          currency: request.body.currency,
          provider: undefined,
          successUrl: undefined,
          cancelUrl: undefined,
        },
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return {
        planId: request.body.planId,
        interval: request.body.interval,
        currency: quote.currency,
        lines: quote.lines.map((line) => ({
          description: line.description,
          amount: toNumber(line.amount),
        })),
        subtotal: toNumber(quote.subtotal),
        discount: toNumber(quote.discount),
        balanceApplied: toNumber(quote.balanceApplied),
        amount: toNumber(quote.amount),
        isUpgrade: quote.isUpgrade,
        providers: offeredCheckoutProviders(services.providers),
      };
    },
  );

  app.get(
    "/v1/payment-providers",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["checkout"],
        summary: "The payment providers configured here",
        description:
          "The configured providers, and which of them a checkout may name (`checkout`: Stripe, MercadoPago, PayPal, and the sandbox in test mode). In test mode the sandbox also takes stored payment methods with its test tokens. Any authenticated caller.",
        response: {
          200: z.object({
            testMode: z.boolean(),
            data: z.array(
              z.object({
                name: z.string(),
                checkout: z.boolean(),
                cardSetup: z
                  .boolean()
                  .describe(
                    "Whether a card can be added on the provider's own page (`POST …/payment-methods/setup-sessions`): Stripe.",
                  ),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      const checkout = new Set(offeredCheckoutProviders(services.providers));
      return {
        testMode: services.config.testMode,
        data: [...services.providers.values()].map((provider) => ({
          name: provider.name,
          checkout: checkout.has(provider.name),
          cardSetup:
            checkoutProviderOf(services.providers, provider.name)?.createPaymentMethodSetup !==
            undefined,
        })),
      };
    },
  );

  app.get(
    "/v1/organizations/:orgId/checkouts",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["checkout"],
        summary: "The organization's checkouts, newest first",
        description:
          "Every checkout started for the organization with its provider, status and result. Owners, billing admins and root.",
        params: orgParams,
        querystring: listQuery,
        response: { 200: listResponse(checkoutSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await db
        .select()
        .from(checkouts)
        .where(
          and(
            eq(checkouts.organizationId, request.params.orgId),
            cursor === undefined ? undefined : lt(checkouts.id, cursor),
          ),
        )
        .orderBy(desc(checkouts.id))
        .limit(limit + 1);
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(checkoutResponse) };
    },
  );

  app.get(
    "/v1/organizations/:orgId/checkouts/:checkoutId",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["checkout"],
        summary: "A checkout (poll it after the customer returns from the provider)",
        description:
          "The checkout's status (`open`, `completed`, `failed`, `canceled`, `stale`) and, once paid, what it created. Poll it after the buyer comes back from the provider's page.",
        params: checkoutParams,
        response: { 200: checkoutSchema },
      },
    },
    async (request) =>
      checkoutResponse(
        await getCheckout({
          executor: db,
          checkoutId: request.params.checkoutId,
          organizationId: request.params.orgId,
        }),
      ),
  );

  app.post(
    "/v1/organizations/:orgId/checkouts/:checkoutId/capture",
    {
      config: { access: billingRoles, errors: ["payment_failed", "invalid_state"] },
      schema: {
        tags: ["checkout"],
        summary: "Capture an approved checkout (PayPal)",
        description:
          "After the buyer approves the PayPal order and returns, capture it: the capture runs the payment success pipeline (the same one the `PAYMENT.CAPTURE.COMPLETED` webhook runs, so whichever comes first applies it once). A declined capture → 402 `payment_failed`, nothing changed.",
        params: checkoutParams,
        response: { 200: checkoutResult },
      },
    },
    async (request) => {
      const systemNow = clock();
      const checkout = await getCheckout({
        executor: db,
        checkoutId: request.params.checkoutId,
        organizationId: request.params.orgId,
      });
      const adapter = checkoutProviderOf(services.providers, checkout.provider);
      if (!adapter?.capture || checkout.providerCheckoutId === null) {
        throw validationError(
          `Checkout ${checkout.id} is paid through ${checkout.provider}, which confirms payments by webhook; there is nothing to capture.`,
        );
      }
      if (checkout.status === "completed") return completedResult(checkout);
      if (checkout.status === "canceled" || checkout.status === "stale") {
        throw invalidState(`Checkout ${checkout.id} is ${checkout.status}.`);
      }
      let notice: Awaited<ReturnType<NonNullable<typeof adapter.capture>>>;
      try {
        notice = await adapter.capture({
          providerCheckoutId: checkout.providerCheckoutId,
          checkoutId: checkout.id,
        });
      } catch (error) {
        throw new AbonoError(
          "provider_error",
          `${adapter.name} did not capture the order: ${error instanceof Error ? error.message : String(error)}`,
          { checkoutId: checkout.id },
        );
      }
      if (notice.kind === "payment_failed" && notice.code === "authentication_required") {
        // PayPal: the buyer has not approved the order yet; the checkout stays open.
        throw invalidState(
          `The buyer has not approved the order at ${adapter.name} yet: ${notice.message}`,
          { checkoutId: checkout.id, redirectUrl: checkout.redirectUrl },
        );
      }
      const result = await handlePaymentNotice({
        services,
        provider: adapter.name,
        notice,
        systemNow,
      });
      if (result.outcome === "failed_payment") {
        const failed = await getCheckout({ executor: db, checkoutId: checkout.id });
        throw new AbonoError(
          "payment_failed",
          `The payment was declined: ${failed.failureMessage ?? "no reason given"}. Nothing was changed.`,
          { checkoutId: checkout.id, declineCode: failed.failureCode },
        );
      }
      if (result.outcome === "pending") {
        throw invalidState(
          "The provider has not completed the payment yet (pending); the webhook will complete the checkout.",
          { checkoutId: checkout.id },
        );
      }
      if (result.outcome === "processed") {
        return {
          checkout: checkoutResponse(result.checkout),
          subscription: result.subscription,
          invoices: result.invoices.map(invoiceResponse),
        };
      }
      return completedResult(await getCheckout({ executor: db, checkoutId: checkout.id }));
    },
  );

  async function completedResult(checkout: CheckoutRow) {
    const subscription =
      checkout.status === "completed"
        ? await findLiveSubscription({ executor: db, organizationId: checkout.organizationId })
        : null;
    return {
      checkout: checkoutResponse(checkout),
      subscription: subscription ? await subscriptionView({ executor: db, subscription }) : null,
      invoices: [],
    };
  }
};
