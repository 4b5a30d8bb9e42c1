import { z } from "zod";
import { access } from "../../auth/principal.ts";
import type { BillingServices } from "../../billing/billing-operation.ts";
import { AbonoError, forbidden } from "../../errors.ts";
import { toNumber } from "../../money/index.ts";
import { organizationNow } from "../../organizations/organization-now.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import { cancelScheduledChange } from "../../subscriptions/cancel-scheduled-change.ts";
import { cancelSubscription } from "../../subscriptions/cancel-subscription.ts";
import { changePlan, type PreviewLine } from "../../subscriptions/change-plan.ts";
import { previewRenewal } from "../../subscriptions/preview-renewal.ts";
import { resumeSubscription } from "../../subscriptions/resume-subscription.ts";
import { setItemQuantity } from "../../subscriptions/set-item-quantity.ts";
import { subscribe } from "../../subscriptions/subscribe.ts";
import { findLiveSubscription } from "../../subscriptions/subscription-records.ts";
import { subscriptionView } from "../../subscriptions/subscription-view.ts";
import type { AppDependencies, RouteModule } from "../app-types.ts";
import {
  invoiceResponse,
  invoiceSchema,
  lineDiscount,
  lineTaxFields,
  lineTaxResponse,
  subscriptionSchema,
  taxSummaryResponse,
  taxSummarySchema,
} from "../schemas/billing-schemas.ts";
import { catalogKey, currencyInput, intervalSchema } from "../schemas/catalog-schemas.ts";

const orgParams = z.object({ orgId: z.string() });
const billingRoles = access.organization("owner", "billing_admin");

const changeBody = z.object({
  planId: catalogKey,
  interval: intervalSchema,
  timing: z.enum(["now", "period_end"]).default("now"),
});

const previewLine = z.object({
  description: z.string(),
  amount: z.number().int(),
  discount: lineDiscount,
  proration: z.boolean(),
  periodStart: z.date().nullable(),
  periodEnd: z.date().nullable(),
  kind: z.string(),
  ...lineTaxFields,
});

const previewSchema = z.object({
  currency: z.string(),
  lines: z.array(previewLine),
  subtotal: z.number().int(),
  discount: z.number().int(),
  tax: z
    .number()
    .int()
    .describe('The tax the change\'s invoice will carry (docs/billing.md "Taxes").'),
  taxes: taxSummarySchema,
  total: z
    .number()
    .int()
    .describe("What the change's invoice comes to, tax included; negative for a downgrade."),
  reverseCharge: z.boolean(),
  balanceApplied: z.number().int(),
  amountDue: z.number().int(),
  creditedToBalance: z
    .number()
    .int()
    .describe("What the change adds to the credit balance (a downgrade); the invoice's name."),
  creditToBalance: z.number().int().meta({
    deprecated: true,
    description:
      "Deprecated alias of `creditedToBalance`, same value; removed in the next version (CHANGELOG.md).",
  }),
  balanceAfter: z.number().int(),
  effectiveAt: z.date(),
  settlement: z
    .object({
      lines: z.array(previewLine),
      subtotal: z.number().int(),
      discount: z
        .number()
        .int()
        .describe("What the prorated add-on charges being settled carry of the coupon."),
      tax: z
        .number()
        .int()
        .describe('The tax of the settlement\'s lines (docs/billing.md "Taxes").'),
      total: z.number().int(),
      amountDue: z
        .number()
        .int()
        .describe("Charged at once, before the change (never from the balance)."),
      creditedToBalance: z
        .number()
        .int()
        .describe(
          "What the settlement adds to the credit balance when it nets negative (add-ons removed mid-period); the invoice's name.",
        ),
    })
    .nullable()
    .describe(
      "What is owed to date and is invoiced (kind `settlement`) before the change, with that invoice's totals; null when nothing is owed.",
    ),
});

const changeResult = z.object({
  subscription: subscriptionSchema,
  invoices: z.array(invoiceSchema),
});

export function billingServices({
  db,
  providers,
  config,
  logger,
  taxCalculator,
}: AppDependencies): BillingServices {
  return { db, providers, config, logger, taxCalculator };
}

const toPreviewLine = ({ taxableAmount, tax, ...line }: PreviewLine) => ({
  ...line,
  amount: toNumber(line.amount),
  discount: toNumber(line.discount),
  ...lineTaxResponse({ taxableAmount, tax }),
});

/** Subscribe, change (with preview), add-ons and cancellation: docs/billing.md. */
export const subscriptionRoutes: RouteModule = (app, dependencies) => {
  const { db, clock } = dependencies;
  const services = billingServices(dependencies);

  app.post(
    "/v1/organizations/:orgId/subscription",
    {
      config: { access: billingRoles, errors: ["payment_failed", "invalid_state"] },
      schema: {
        tags: ["subscriptions"],
        summary: "Subscribe to a plan",
        description:
          "Creates the first subscription: a trial when the plan has trial days, otherwise the first period invoiced and charged at once to the default payment method. Declined → 402 and no subscription. No payment method → 402 with `details.reason` `no_payment_method` and no invoice.",
        params: orgParams,
        body: z.object({
          planId: catalogKey,
          interval: intervalSchema,
          couponCode: z.string().min(1).max(64).optional(),
          currency: currencyInput.optional(),
          replaceExisting: z
            .boolean()
            .default(false)
            .describe(
              "Expire the current subscription and start this one (a new plan bought outright).",
            ),
        }),
        response: { 201: z.object({ subscription: subscriptionSchema, invoice: invoiceSchema }) },
      },
    },
    async (request, reply) => {
      const result = await subscribe({
        services,
        organizationId: request.params.orgId,
        planId: request.body.planId,
        interval: request.body.interval,
        couponCode: request.body.couponCode,
        currency: request.body.currency,
        replaceExisting: request.body.replaceExisting,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return reply
        .code(201)
        .send({ subscription: result.subscription, invoice: invoiceResponse(result.invoice) });
    },
  );

  app.get(
    "/v1/organizations/:orgId/subscription",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["subscriptions"],
        summary: "The organization's subscription",
        description:
          "The live subscription: plan and version, interval, status, current period, trial end, add-on items and any scheduled change. 404 when the organization is on the free plan without one.",
        params: orgParams,
        response: {
          200: subscriptionSchema.extend({
            asOf: z
              .date()
              .describe(
                "The organization's time when this was read: its test clock's when it has one, else the server's. Count days left (of a trial, of the period) from it.",
              ),
            endsAt: z
              .date()
              .nullable()
              .describe(
                "When the subscription ends without renewing: the end of an annual term while `ABONO_ANNUAL_AUTO_RENEW` is off (a change scheduled for the renewal still applies). Null when it renews.",
              ),
          }),
        },
      },
    },
    async (request) => {
      const organization = await getOrganizationRecord({
        db,
        organizationId: request.params.orgId,
      });
      const asOf = await organizationNow({
        executor: db,
        testClockId: organization.testClockId,
        systemNow: clock(),
      });
      const subscription = await findLiveSubscription({
        executor: db,
        organizationId: request.params.orgId,
      });
      if (!subscription) {
        throw new AbonoError(
          "not_found",
          `Organization ${request.params.orgId} has no live subscription; it is on the free plan. Subscribe with POST /v1/organizations/${request.params.orgId}/subscription.`,
        );
      }
      return {
        ...(await subscriptionView({ executor: db, subscription })),
        asOf,
        endsAt: subscription.endsAt,
      };
    },
  );

  app.post(
    "/v1/organizations/:orgId/subscription/preview-change",
    {
      config: { access: billingRoles, errors: ["invalid_state"], changesNothing: true },
      schema: {
        tags: ["subscriptions"],
        summary: "Preview a plan change",
        description:
          'Runs the change pipeline up to the point of writing: the exact lines and totals the change would produce, with each line\'s discount, and the settlement of what is owed to date (its totals, including what it credits to the balance when it nets negative). Credits for unused time are worth what was paid for that time (docs/billing.md "What unused time is worth"); prorated charges carry the coupon in force.',
        params: orgParams,
        body: changeBody,
        response: { 200: previewSchema },
      },
    },
    async (request) => {
      const outcome = await changePlan({
        services,
        organizationId: request.params.orgId,
        request: request.body,
        preview: true,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      if (!outcome.preview) throw new Error("preview returned a change");
      const preview = outcome.result;
      return {
        ...preview,
        lines: preview.lines.map(toPreviewLine),
        subtotal: toNumber(preview.subtotal),
        discount: toNumber(preview.discount),
        tax: toNumber(preview.tax),
        taxes: taxSummaryResponse(preview.taxes),
        total: toNumber(preview.total),
        balanceApplied: toNumber(preview.balanceApplied),
        amountDue: toNumber(preview.amountDue),
        creditedToBalance: toNumber(preview.creditedToBalance),
        creditToBalance: toNumber(preview.creditedToBalance),
        balanceAfter: toNumber(preview.balanceAfter),
        settlement: preview.settlement && {
          lines: preview.settlement.lines.map(toPreviewLine),
          subtotal: toNumber(preview.settlement.subtotal),
          discount: toNumber(preview.settlement.discount),
          tax: toNumber(preview.settlement.tax),
          total: toNumber(preview.settlement.total),
          amountDue: toNumber(preview.settlement.amountDue),
          creditedToBalance: toNumber(preview.settlement.creditedToBalance),
        },
      };
    },
  );

  app.post(
    "/v1/organizations/:orgId/subscription/change",
    {
      config: {
        access: billingRoles,
        errors: ["payment_failed", "invalid_state"],
        answerInTransaction: true,
      },
      schema: {
        tags: ["subscriptions"],
        summary: "Change plan or interval",
        description:
          "Settles what is owed to date, then prorates by seconds: the unused time is credited at what was paid for it (never more), the new plan's remaining time is charged under the coupon in force; an upgrade is charged at once (credit balance first), a downgrade credits the balance. A change of interval (or from a free plan or a trial) starts a new period billed like any other: the plan and every add-on for the new interval, after crediting their unused time. `timing: period_end` schedules the change for the renewal. Declined → 402, nothing changed. No payment method → 402 with `details.reason` `no_payment_method` and no invoice.",
        params: orgParams,
        body: changeBody,
        response: { 200: changeResult },
      },
    },
    async (request) => {
      const outcome = await changePlan({
        services,
        organizationId: request.params.orgId,
        request: request.body,
        preview: false,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      if (outcome.preview) throw new Error("change returned a preview");
      return {
        subscription: outcome.result.subscription,
        invoices: outcome.result.invoices.map(invoiceResponse),
      };
    },
  );

  app.post(
    "/v1/organizations/:orgId/subscription/cancel",
    {
      config: { access: billingRoles, errors: ["payment_failed", "invalid_state"] },
      schema: {
        tags: ["subscriptions"],
        summary: "Cancel the subscription",
        description:
          "At the period end by default (access continues until then), or now (`atPeriodEnd: false`): no refund; root may credit the unused time of the plan and its add-ons to the balance with `creditUnusedTime`, worth what was paid for it.",
        params: orgParams,
        body: z
          .object({
            atPeriodEnd: z.boolean().default(true),
            creditUnusedTime: z.boolean().default(false),
          })
          .default({ atPeriodEnd: true, creditUnusedTime: false }),
        response: { 200: changeResult },
      },
    },
    async (request) => {
      if (request.body.creditUnusedTime && !request.principal?.root) {
        throw forbidden("Only the operator (root) credits unused time on cancellation.");
      }
      const result = await cancelSubscription({
        services,
        organizationId: request.params.orgId,
        atPeriodEnd: request.body.atPeriodEnd,
        creditUnusedTime: request.body.creditUnusedTime,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return { subscription: result.subscription, invoices: result.invoices.map(invoiceResponse) };
    },
  );

  app.post(
    "/v1/organizations/:orgId/subscription/items",
    {
      config: { access: billingRoles, errors: ["invalid_state"] },
      schema: {
        tags: ["subscriptions"],
        summary: "Set an add-on's quantity",
        description:
          "Licenses and services. A change mid-period adds a prorated pending item to the next subscription invoice; no invoice is issued now: units added are charged for the rest of the period under the coupon in force, units removed are credited their share of what the add-on's charges of the period are still worth (nothing for units billed at 100% off). Quantity 0 removes the add-on.",
        params: orgParams,
        body: z.object({ addonId: catalogKey, quantity: z.number().int().min(0).max(100_000) }),
        response: { 200: subscriptionSchema },
      },
    },
    async (request) =>
      setItemQuantity({
        services,
        organizationId: request.params.orgId,
        addonId: request.body.addonId,
        quantity: request.body.quantity,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      }),
  );
  app.post(
    "/v1/organizations/:orgId/subscription/resume",
    {
      config: { access: billingRoles, errors: ["invalid_state"] },
      schema: {
        tags: ["subscriptions"],
        summary: "Undo a cancellation at period end",
        description:
          "While the period lasts, a subscription canceled at the period end can be kept: it renews as before. Nothing is invoiced. 409 `invalid_state` when no cancellation is scheduled.",
        params: orgParams,
        response: { 200: subscriptionSchema },
      },
    },
    async (request) =>
      resumeSubscription({
        services,
        organizationId: request.params.orgId,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      }),
  );

  app.delete(
    "/v1/organizations/:orgId/subscription/scheduled-change",
    {
      config: { access: billingRoles, errors: ["invalid_state"] },
      schema: {
        tags: ["subscriptions"],
        summary: "Undo a plan change scheduled for the renewal",
        description:
          'Drops the `scheduledChange` a change with `timing: "period_end"` made: the subscription renews on its current plan. Nothing is invoiced. 409 `invalid_state` when no change is scheduled.',
        params: orgParams,
        response: { 200: subscriptionSchema },
      },
    },
    async (request) =>
      cancelScheduledChange({
        services,
        organizationId: request.params.orgId,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      }),
  );

  app.get(
    "/v1/organizations/:orgId/upcoming-invoice",
    {
      config: { access: billingRoles },
      schema: {
        tags: ["subscriptions"],
        summary: "The next renewal invoice, as it stands now",
        description:
          "The renewal at the end of the current period computed by the renewal itself and not saved: plan, add-ons, prorated items pending from quantity changes, usage over the limits so far, coupon discount and the credit balance it would use. `invoice` is null when nothing will renew (no subscription, canceled at period end, or past due). It has no id or number yet (`id` is `upcoming`, `number` null): the real invoice gets them at the renewal.",
        params: orgParams,
        response: { 200: z.object({ invoice: invoiceSchema.nullable() }) },
      },
    },
    async (request) => {
      const invoice = await previewRenewal({
        services,
        organizationId: request.params.orgId,
        systemNow: clock(),
      });
      return { invoice: invoice && { ...invoiceResponse(invoice), id: "upcoming", number: null } };
    },
  );
};
