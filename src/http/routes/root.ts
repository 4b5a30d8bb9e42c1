import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { summarizeEntitlement } from "../../entitlements/summarize-entitlement.ts";
import { confirmationMismatch, validationError } from "../../errors.ts";
import { toNumber } from "../../money/index.ts";
import { adjustBalance } from "../../root/adjust-balance.ts";
import {
  entitlementStatuses,
  rootOrganizationStatuses,
} from "../../root/compute-root-plan-change.ts";
import {
  type EntitlementOverride,
  listEntitlementOverrides,
  removeEntitlementOverride,
  setEntitlementOverride,
} from "../../root/entitlement-overrides.ts";
import { setOrganizationPlan } from "../../root/set-organization-plan.ts";
import type { RouteModule } from "../app-types.ts";
import {
  balanceTransactionResponse,
  balanceTransactionSchema,
} from "../schemas/billing-schemas.ts";
import { catalogKey, currencyInput } from "../schemas/catalog-schemas.ts";
import { entitlementSummarySchema } from "../schemas/entitlement-schemas.ts";
import { instantInput } from "../schemas/instant-input.ts";
import { organizationResponse, organizationSchema } from "./organizations.ts";
import { billingServices } from "./subscriptions.ts";

const tags = ["root"];
const orgParams = z.object({ orgId: z.string() });
const featureParams = z.object({ orgId: z.string(), feature: z.string() });

const reasonMessage =
  "reason is required: say why, with a ticket or approval reference (e.g. “Upgrade approved by L2 support / OPS-1234”)";
const reasonInput = z
  .string({ error: reasonMessage })
  .trim()
  .min(1, reasonMessage)
  .max(2000, "reason must be at most 2000 characters");

const oneOf = (values: readonly string[]) => `must be one of: ${values.join(", ")}`;

const planBody = z.strictObject({
  organizationId: z
    .string({ error: "organizationId is required: type the organization's id to confirm" })
    .min(1, "organizationId is required: type the organization's id to confirm")
    .max(100)
    .describe("Confirmation: must equal the organization in the path (the “danger zone” check)."),
  planId: catalogKey
    .optional()
    .describe(
      "A plan id. One the catalog does not have is applied as a manual override, with a warning.",
    ),
  entitlementStatus: z.enum(entitlementStatuses, { error: oneOf(entitlementStatuses) }).optional(),
  organizationStatus: z
    .enum(rootOrganizationStatuses, { error: oneOf(rootOrganizationStatuses) })
    .optional(),
  provider: z.literal("manual", { error: 'provider must be "manual" (or left out)' }).optional(),
  reason: reasonInput,
});

const overrideValue = z.union(
  [
    z.boolean(),
    z
      .number()
      .int("value must be a whole number")
      .min(0, "value must not be negative: a limit is ≥ 0 (null for unlimited)")
      .max(Number.MAX_SAFE_INTEGER, "value is too large"),
    z.null(),
  ],
  {
    error:
      "value must be true or false (boolean features), a whole number ≥ 0, null for unlimited, or false to deny (limit and metered features)",
  },
);

const overrideSchema = z.object({
  feature: z.string(),
  value: z.union([z.boolean(), z.number(), z.null()]),
  reason: z.string(),
  expiresAt: z.date().nullable(),
  createdAt: z.date(),
});

const overrideResponse = (override: EntitlementOverride): z.infer<typeof overrideSchema> => ({
  feature: override.featureKey,
  value: override.value ?? null,
  reason: override.reason,
  expiresAt: override.expiresAt,
  createdAt: override.createdAt,
});

const transactionSchema = balanceTransactionSchema.extend({ actor: z.string().nullable() });

/**
 * Root operations (docs/root-and-audit.md): the plan and status override with its danger-zone confirmation, balance
 * adjustments and per-feature entitlement overrides. Every route here is listed in `../root-routes.ts`;
 * every change holds the organization's row lock and writes an audit entry with actor, reason and request id.
 */
export const rootRoutes: RouteModule = (app, dependencies) => {
  const { db, clock, config, entitlementCache } = dependencies;

  app.post(
    "/v1/root/organizations/:orgId/plan",
    {
      config: { access: access.root, errors: ["confirmation_mismatch"] },
      schema: {
        tags,
        summary: "Set an organization's plan and statuses (danger zone)",
        description:
          "The danger zone (docs/root-and-audit.md). `organizationId` must repeat the path's id (else 400 `confirmation_mismatch`, nothing changed) and `reason` is required. Without `planId` and `entitlementStatus` the entitlement is not touched. `organizationStatus` also syncs the public view (`status`, `isActive`). A `planId` missing from the catalog is applied as a manual override: the previous plan's values stay in force, the answer carries a warning and the audit entry `planCatalogFound: false`. Usage counters, add-ons, grants and per-feature overrides are preserved; the subscription is not changed. Writes the manual trace (`billingProviders.manual` on the organization) and an audit entry with before/after. `entitlement` is the effective entitlement afterwards, as `GET /v1/organizations/:orgId/entitlement` returns it.",
        params: orgParams,
        body: planBody,
        response: {
          200: z.object({
            organization: organizationSchema,
            entitlement: entitlementSummarySchema,
            auditLogId: z.string(),
            planCatalogFound: z.boolean().nullable(),
            warnings: z.array(z.string()),
          }),
        },
      },
    },
    async (request) => {
      const organizationId = request.params.orgId;
      const body = request.body;
      if (body.organizationId !== organizationId) {
        throw confirmationMismatch(
          `Confirmation failed: organizationId ${JSON.stringify(body.organizationId)} does not match the organization in the path (${JSON.stringify(organizationId)}). Type the exact organization id to confirm; nothing was changed.`,
          { expected: organizationId, received: body.organizationId },
        );
      }
      const result = await setOrganizationPlan({
        db,
        organizationId,
        request: {
          planId: body.planId,
          entitlementStatus: body.entitlementStatus,
          organizationStatus: body.organizationStatus,
        },
        reason: body.reason,
        actor: request.principal?.id ?? "unknown",
        freePlanId: config.freePlanId,
        pastDueGraceDays: config.lifecycle.pastDueGraceDays,
        systemNow: clock(),
      });
      if (result.planCatalogFound === false) {
        request.log.warn(
          { organizationId, planId: body.planId, auditLogId: result.auditLogId },
          "root applied a plan that is not in the catalog (manual override)",
        );
      }
      const { entitlement, now } = await entitlementCache.get({
        organizationId,
        systemNow: clock(),
      });
      return {
        organization: await organizationResponse(dependencies, result.organization),
        entitlement: await summarizeEntitlement({ executor: db, entitlement, now }),
        auditLogId: result.auditLogId,
        planCatalogFound: result.planCatalogFound,
        warnings: result.warnings,
      };
    },
  );

  app.post(
    "/v1/root/organizations/:orgId/balance-adjustments",
    {
      config: { access: access.root, errors: ["invalid_state"], answerInTransaction: true },
      schema: {
        tags,
        summary: "Adjust an organization's credit balance",
        description:
          "An `adjustment` entry in the append-only balance ledger: a positive amount adds credit, a negative one removes it. The balance never goes below zero (409 `invalid_state`). Amounts are integers in minor units, in the organization's billing currency (an organization without one gets `currency`). `description` is what the customer sees in the ledger (default: the reason). Audited with the reason.",
        params: orgParams,
        body: z.strictObject({
          amount: z
            .number({ error: "amount is required: a whole number of minor units, not zero" })
            .int("amount must be a whole number of minor units (e.g. 1999 for 19.99)")
            .min(-Number.MAX_SAFE_INTEGER, "amount is too large")
            .max(Number.MAX_SAFE_INTEGER, "amount is too large")
            .refine((value) => value !== 0, "amount must not be zero"),
          currency: currencyInput.optional(),
          reason: reasonInput,
          description: z.string().trim().min(1).max(500).optional(),
        }),
        response: {
          201: z.object({
            transaction: transactionSchema,
            balance: z.object({ currency: z.string(), available: z.number().int() }),
            auditLogId: z.string(),
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await adjustBalance({
        services: billingServices(dependencies),
        organizationId: request.params.orgId,
        amount: BigInt(request.body.amount),
        currency: request.body.currency,
        reason: request.body.reason,
        description: request.body.description,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      const { transaction } = result;
      return reply.code(201).send({
        transaction: { ...balanceTransactionResponse(transaction), actor: transaction.actor },
        balance: { currency: result.currency, available: toNumber(result.available) },
        auditLogId: result.auditLogId,
      });
    },
  );

  app.get(
    "/v1/root/organizations/:orgId/entitlement-overrides",
    {
      config: { access: access.root },
      schema: {
        tags,
        summary: "List an organization's entitlement overrides",
        description: "Every per-feature override, expired ones included (`active: false`).",
        params: orgParams,
        response: {
          200: z.object({
            data: z.array(overrideSchema.extend({ active: z.boolean() })),
            hasMore: z.boolean(),
            nextCursor: z.null(),
          }),
        },
      },
    },
    async (request) => {
      const { overrides, now } = await listEntitlementOverrides({
        db,
        organizationId: request.params.orgId,
        systemNow: clock(),
      });
      return {
        data: overrides.map((override) => ({
          ...overrideResponse(override),
          active: override.expiresAt === null || override.expiresAt > now,
        })),
        hasMore: false,
        nextCursor: null,
      };
    },
  );

  app.put(
    "/v1/root/organizations/:orgId/entitlement-overrides/:feature",
    {
      config: { access: access.root },
      schema: {
        tags,
        summary: "Override one feature for an organization",
        description:
          "The value wins over the plan and add-ons until `expiresAt` (if given). Boolean features take true/false; limit and metered features a whole number ≥ 0, null (unlimited) or false (denied). The feature must exist in the catalog. Replaces an earlier override of the same feature. Audited.",
        params: featureParams,
        body: z.strictObject({
          value: overrideValue,
          reason: reasonInput,
          expiresAt: instantInput("expiresAt must be an ISO 8601 date-time").optional(),
        }),
        response: { 200: z.object({ override: overrideSchema, auditLogId: z.string() }) },
      },
    },
    async (request) => {
      const { override, auditLogId } = await setEntitlementOverride({
        db,
        organizationId: request.params.orgId,
        featureKey: request.params.feature,
        value: request.body.value,
        reason: request.body.reason,
        expiresAt: request.body.expiresAt ? new Date(request.body.expiresAt) : null,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return { override: overrideResponse(override), auditLogId };
    },
  );

  app.delete(
    "/v1/root/organizations/:orgId/entitlement-overrides/:feature",
    {
      config: { access: access.root },
      schema: {
        tags,
        summary: "Remove an entitlement override",
        description:
          "The plan's value applies again. `reason` is required, in the JSON body or as `?reason=`. Audited with the removed value.",
        params: featureParams,
        querystring: z.object({ reason: reasonInput.optional() }),
        body: z.strictObject({ reason: reasonInput }).nullish(),
        response: {
          200: z.object({
            removed: z.literal(true),
            override: overrideSchema,
            auditLogId: z.string(),
          }),
        },
      },
    },
    async (request) => {
      const reason = request.body?.reason ?? request.query.reason;
      if (reason === undefined) {
        throw validationError(
          `${reasonMessage}. Send it as {"reason": "…"} in the body or as ?reason=… in the query.`,
        );
      }
      const { override, auditLogId } = await removeEntitlementOverride({
        db,
        organizationId: request.params.orgId,
        featureKey: request.params.feature,
        reason,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return { removed: true as const, override: overrideResponse(override), auditLogId };
    },
  );
};
