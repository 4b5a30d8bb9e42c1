import { z } from "zod";
import { readDashboard } from "../../admin/read-dashboard.ts";
import { access } from "../../auth/principal.ts";
import { toNumber } from "../../money/index.ts";
import type { RouteModule } from "../app-types.ts";

const currencyAmount = z.object({ currency: z.string(), amount: z.number().int() });

/** The backoffice dashboard's figures (docs/backoffice.md "Dashboard"). Root only. */
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
};
