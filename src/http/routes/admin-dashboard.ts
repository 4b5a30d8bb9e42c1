import { z } from "zod";
import { listOrganizationSummaries } from "../../admin/organization-summaries.ts";
import { listPlanVersionUsage } from "../../admin/plan-version-usage.ts";
import { readDashboard } from "../../admin/read-dashboard.ts";
import { readDashboardMovements } from "../../admin/read-dashboard-movements.ts";
import { access } from "../../auth/principal.ts";
import { getPlan } from "../../catalog/plans.ts";
import { organizationStatuses } from "../../db/schema/index.ts";
import { toNumber } from "../../money/index.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";

const currencyAmount = z.object({ currency: z.string(), amount: z.number().int() });

/**
 * The backoffice's own reads (docs/backoffice.md): the dashboard's figures and the organization list with
 * plan, MRR and balance. Root only.
 */
export const adminDashboardRoutes: RouteModule = (app, { db, clock }) => {
  app.get(
    "/v1/admin/dashboard",
    {
      config: { access: access.root },
      schema: {
        tags: ["backoffice"],
        summary: "The backoffice dashboard",
        description:
          "MRR per currency (the list price of active and past-due subscriptions' plan versions as a monthly amount: yearly ÷ 12; trials, coupons, add-ons and taxes not included), live subscriptions by plan and status, trials ending in the next 7 days, past-due subscriptions with the amount due on their organizations' open invoices, and failed payments in the last 30 days. Amounts in minor units.",
        response: {
          200: z.object({
            monthlyRecurringRevenue: z.array(currencyAmount),
            subscriptionsByPlan: z.array(
              z.object({
                planId: z.string(),
                active: z.number().int(),
                trialing: z.number().int(),
                pastDue: z.number().int(),
              }),
            ),
            trialsEndingThisWeek: z.number().int(),
            pastDueSubscriptions: z.number().int(),
            amountAtRisk: z.array(currencyAmount),
            failedPayments: z.object({
              count: z.number().int(),
              amounts: z.array(currencyAmount),
            }),
          }),
        },
      },
    },
    async () => {
      const dashboard = await readDashboard({ db, now: clock() });
      const numbers = (amounts: { currency: string; amount: bigint }[]) =>
        amounts.map(({ currency, amount }) => ({ currency, amount: toNumber(amount) }));
      return {
        ...dashboard,
        monthlyRecurringRevenue: numbers(dashboard.monthlyRecurringRevenue),
        amountAtRisk: numbers(dashboard.amountAtRisk),
        failedPayments: {
          count: dashboard.failedPayments.count,
          amounts: numbers(dashboard.failedPayments.amounts),
        },
      };
    },
  );

  app.get(
    "/v1/admin/dashboard/movements",
    {
      config: { access: access.root },
      schema: {
        tags: ["backoffice"],
        summary: "MRR movements and revenue by provider, by month",
        description:
          "For each of the last `months` months (UTC, the current one up to now) and each currency — never summed across currencies: MRR at the month's start (`opening`) and end (`closing`) and what moved it, per subscription: `new` (from 0), `expansion` (up), `contraction` (down), `churn` (to 0); opening + new + expansion − contraction − churn = closing. MRR is a subscription's plan list price as a monthly amount, from its start or its trial's end until it ends. And payments that succeeded per month, provider and currency (`amount` collected, `refunded` of it since). Minor units. See docs/backoffice.md.",
        querystring: z.object({
          months: z.coerce.number().int().min(1).max(36).default(12).describe("How many months."),
        }),
        response: {
          200: z.object({
            mrrMovements: z.array(
              z.object({
                month: z.string(),
                currency: z.string(),
                opening: z.number().int(),
                new: z.number().int(),
                expansion: z.number().int(),
                contraction: z.number().int(),
                churn: z.number().int(),
                closing: z.number().int(),
              }),
            ),
            revenueByProvider: z.array(
              z.object({
                month: z.string(),
                provider: z.string(),
                currency: z.string(),
                payments: z.number().int(),
                amount: z.number().int(),
                refunded: z.number().int(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { mrrMovements, revenueByProvider } = await readDashboardMovements({
        db,
        now: clock(),
        months: request.query.months,
      });
      return {
        mrrMovements: mrrMovements.map((row) => ({
          ...row,
          opening: toNumber(row.opening),
          new: toNumber(row.new),
          expansion: toNumber(row.expansion),
          contraction: toNumber(row.contraction),
          churn: toNumber(row.churn),
          closing: toNumber(row.closing),
        })),
        revenueByProvider: revenueByProvider.map((row) => ({
          ...row,
          amount: toNumber(row.amount),
          refunded: toNumber(row.refunded),
        })),
      };
    },
  );

  app.get(
    "/v1/admin/organizations",
    {
      config: { access: access.root },
      schema: {
        tags: ["backoffice"],
        summary: "The backoffice's organization list",
        description:
          "Organizations as `GET /v1/organizations` finds them (`q`: id exact or prefix, name or owner email contains — starts with, for text under 3 characters —, provider reference exact; keyset pagination by id; every search and filter is index-backed, no total count), filtered by organization `status`, entitlement `planId` and billing `provider`, each with its entitlement plan, live subscription status, MRR (its plan version's list price as a monthly amount; 0 while trialing; null without a live subscription), credit balance (minor units, in `currency`) and billing providers.",
        querystring: listQuery.extend({
          q: z.string().trim().min(1).max(200).optional().describe("Search text."),
          status: z.enum(organizationStatuses).optional().describe("Organization status."),
          planId: z.string().min(1).max(200).optional().describe("Entitlement plan."),
          provider: z
            .string()
            .min(1)
            .max(100)
            .optional()
            .describe("Billing provider that has a record of the organization."),
        }),
        response: {
          200: listResponse(
            z.object({
              id: z.string(),
              name: z.string(),
              status: z.string(),
              ownerEmail: z.string().nullable(),
              currency: z.string().nullable(),
              planId: z.string().nullable(),
              subscriptionStatus: z.string().nullable(),
              monthlyRecurringRevenue: currencyAmount.nullable(),
              balance: z.number().int(),
              providers: z.array(z.string()),
            }),
          ),
        },
      },
    },
    async (request) => {
      const { limit, cursor, q, status, planId, provider } = request.query;
      const rows = await listOrganizationSummaries({
        db,
        search: q,
        limit: limit + 1,
        cursor,
        filters: { status, planId, provider },
      });
      const page = toPage(rows, limit);
      return {
        ...page,
        data: page.data.map((row) => ({
          ...row,
          monthlyRecurringRevenue: row.monthlyRecurringRevenue && {
            currency: row.monthlyRecurringRevenue.currency,
            amount: toNumber(row.monthlyRecurringRevenue.amount),
          },
          balance: toNumber(row.balance),
        })),
      };
    },
  );

  app.get(
    "/v1/admin/plans/:planId/versions",
    {
      config: { access: access.root },
      schema: {
        tags: ["backoffice"],
        summary: "A plan's versions and who is on each",
        description:
          "Every version of the plan, oldest first, with the number of live subscriptions (trialing, active, past due) on it. `GET /v1/plans/:planId?version=N` gives a version's content. 404 for an unknown plan.",
        params: z.object({ planId: z.string() }),
        response: {
          200: z.object({
            planId: z.string(),
            versions: z.array(
              z.object({ version: z.number().int(), subscriptions: z.number().int() }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const planId = request.params.planId;
      await getPlan({ db, planId });
      return { planId, versions: await listPlanVersionUsage({ db, planId }) };
    },
  );
};
