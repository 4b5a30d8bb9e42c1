import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import {
  completePaymentMethodSetup,
  startPaymentMethodSetup,
} from "../../payments/payment-method-setup.ts";
import type { RouteModule } from "../app-types.ts";
import { paymentMethodSchema } from "./invoices.ts";

const billingRoles = access.organization("owner", "billing_admin");
const orgParams = z.object({ orgId: z.string() });
const setupParams = z.object({ orgId: z.string(), setupSessionId: z.string().min(1).max(255) });
const setupProviders = z.enum(["stripe"], {
  error: "provider must be stripe (MercadoPago and PayPal take payments in their checkout)",
});

/**
 * Adding a card on the provider's own page (Stripe Checkout in setup mode), docs/payments.md "Saving a
 * card with Stripe Checkout": start it, and complete it from the return page. The webhook
 * (`checkout.session.completed`, mode `setup`) completes it too, with the same code.
 */
export const paymentMethodSetupRoutes: RouteModule = (app, dependencies) => {
  const { db, clock, providers, config } = dependencies;

  app.post(
    "/v1/organizations/:orgId/payment-methods/setup-sessions",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "Open the provider's page to add a card",
        description:
          "Creates a Stripe Checkout Session in `setup` mode for the organization's Stripe customer and answers the `url` to send the customer to. Nothing is charged. When the customer completes it, the card is stored (by the `checkout.session.completed` webhook, or by `POST …/setup-sessions/:setupSessionId/complete` from the return page, whichever comes first) and, with `default: true`, becomes the default. `successUrl` may contain `{CHECKOUT_SESSION_ID}`; defaults: the portal's payment methods screen. 400 `validation_error` when Stripe is not configured.",
        params: orgParams,
        body: z.object({
          provider: setupProviders.default("stripe"),
          default: z.boolean().default(false),
          locale: z.enum(["en", "es"]).optional(),
          successUrl: z.url({ protocol: /^https?$/ }).optional(),
          cancelUrl: z.url({ protocol: /^https?$/ }).optional(),
        }),
        response: {
          201: z.object({
            id: z.string().describe("The provider's session id (Stripe `cs_…`)."),
            provider: z.string(),
            url: z.string().describe("Where to send the customer."),
          }),
        },
      },
    },
    async (request, reply) => {
      await getOrganizationRecord({ db, organizationId: request.params.orgId });
      const screen = `${config.providers.publicUrl}/portal/payment-methods`;
      const session = await startPaymentMethodSetup({
        db,
        providers,
        organizationId: request.params.orgId,
        provider: request.body.provider,
        makeDefault: request.body.default,
        locale: request.body.locale,
        successUrl: request.body.successUrl ?? `${screen}?setup_session={CHECKOUT_SESSION_ID}`,
        cancelUrl: request.body.cancelUrl ?? `${screen}?setup_canceled=1`,
      });
      return reply.code(201).send({
        id: session.providerCheckoutId,
        provider: request.body.provider,
        url: session.redirectUrl,
      });
    },
  );

  app.post(
    "/v1/organizations/:orgId/payment-methods/setup-sessions/:setupSessionId/complete",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["invoices"],
        summary: "Store the card a completed setup page collected",
        description:
          "Reads the session back from the provider and, when it is complete, stores its card (once: a repeat, or the webhook, finds it stored) and answers it as `paymentMethod`. `status: open` (not completed yet) or `expired` store nothing. 404 for a session that is not this organization's.",
        params: setupParams,
        body: z.object({ provider: setupProviders.default("stripe") }).default({
          provider: "stripe",
        }),
        response: {
          200: z.object({
            status: z.enum(["complete", "open", "expired"]),
            paymentMethod: paymentMethodSchema.nullable(),
          }),
        },
      },
    },
    async (request) => {
      const outcome = await completePaymentMethodSetup({
        db,
        providers,
        provider: request.body.provider,
        providerSessionId: request.params.setupSessionId,
        organizationId: request.params.orgId,
        now: clock(),
      });
      return {
        status: outcome.status,
        paymentMethod: outcome.paymentMethod && {
          ...outcome.paymentMethod,
          default: outcome.paymentMethod.isDefault,
        },
      };
    },
  );
};
