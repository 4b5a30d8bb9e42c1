import { z } from "zod";

/** `GET /v1/organizations/:orgId/entitlement` (docs/entitlements.md), also returned by root's plan override. */
export const entitlementSummarySchema = z.object({
  organizationId: z.string(),
  planId: z.string(),
  status: z.enum(["trialing", "active", "past_due", "canceled"]),
  trialEndsAt: z.date().nullable(),
  organizationStatus: z.enum(["active", "suspended", "deleted"]),
  features: z.record(z.string(), z.boolean()),
  limits: z.record(z.string(), z.number().int().nullable()),
  usage: z.record(z.string(), z.number().int()),
  balances: z.record(
    z.string(),
    z.object({
      included: z.number().int().nullable(),
      purchased: z.number().int(),
      used: z.number().int(),
      remaining: z.number().int().nullable(),
    }),
  ),
});
