import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { checkFeature } from "../../entitlements/check-feature.ts";
import type { FeatureUse } from "../../entitlements/describe-feature-use.ts";
import { ingestUsageBatch, rejectionCodes } from "../../entitlements/ingest-usage-batch.ts";
import { loadPlanRecommendation } from "../../entitlements/load-plan-recommendation.ts";
import { purchasePack } from "../../entitlements/purchase-pack.ts";
import { recordUsage } from "../../entitlements/record-usage.ts";
import { summarizeEntitlement } from "../../entitlements/summarize-entitlement.ts";
import { maxUsageEventQuantity } from "../../entitlements/usage-maximums.ts";
import { forbidden } from "../../errors.ts";
import { toNumber } from "../../money/index.ts";
import type { RouteModule } from "../app-types.ts";
import { invoiceResponse, invoiceSchema } from "../schemas/billing-schemas.ts";
import { catalogKey } from "../schemas/catalog-schemas.ts";
import { entitlementSummarySchema } from "../schemas/entitlement-schemas.ts";
import { usageBatchBody, usageBatchValidator } from "../schemas/usage-batch-body.ts";
import { billingServices } from "./subscriptions.ts";

const orgParams = z.object({ orgId: z.string() });
const reasonSchema = z.enum([
  "not_in_plan",
  "limit_reached",
  "organization_inactive",
  "subscription_inactive",
]);
const checkSchema = z.object({
  feature: z.string(),
  allowed: z.boolean(),
  limit: z.number().int().nullable(),
  used: z.number().int(),
  remaining: z.number().int().nullable(),
  reason: reasonSchema.optional(),
});

const count = (value: bigint | null) => (value === null ? null : toNumber(value));

type Check = z.infer<typeof checkSchema>;

function checkResponse(feature: string, use: FeatureUse): Check {
  const check: Check = {
    feature,
    allowed: use.allowed,
    limit: count(use.limit),
    used: toNumber(use.used),
    remaining: count(use.remaining),
  };
  if (!use.allowed && use.reason !== null) check.reason = use.reason;
  return check;
}

/**
 * The check's JSON, written directly: zod's serializer parses (copies) every answer before stringifying,
 * a few µs on the hottest route. `checkResponse` builds exactly the shape `checkSchema` documents.
 */
function serializeCheck(check: Check): string {
  const reason = check.reason === undefined ? "" : `,"reason":"${check.reason}"`;
  return `{"feature":${JSON.stringify(check.feature)},"allowed":${check.allowed},"limit":${check.limit},"used":${check.used},"remaining":${check.remaining}${reason}}`;
}

/** "May organization X do Y, and how much is left?", and usage reporting: docs/entitlements.md. */
export const entitlementRoutes: RouteModule = (app, dependencies) => {
  const { db, pool, clock, entitlementCache } = dependencies;
  app.get(
    "/v1/organizations/:orgId/entitlement",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["entitlements"],
        summary: "The organization's effective entitlement",
        description:
          "What the organization may do now: plan, status, boolean features, limits, usage and metered balances (plan + add-ons + packs + overrides, with the organization's and subscription's status applied). Any member, the organization's keys and root.",
        params: orgParams,
        response: { 200: entitlementSummarySchema },
      },
    },
    async (request) => {
      const { entitlement, now } = await entitlementCache.get({
        organizationId: request.params.orgId,
        systemNow: clock(),
      });
      return summarizeEntitlement({ executor: db, entitlement, now });
    },
  );

  app.get(
    "/v1/organizations/:orgId/entitlements/:feature",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["entitlements"],
        summary: "May the organization use a feature, and how much is left?",
        description:
          "The hot-path check: `allowed`, the limit, what is used and what remains; when refused, `reason` is `not_in_plan`, `limit_reached`, `organization_inactive` or `subscription_inactive`. Answered from memory when the entitlement is cached.",
        params: z.object({ orgId: z.string(), feature: z.string() }),
        response: { 200: checkSchema },
      },
      // The router only yields strings for both params; the schemas stay for the types and the docs.
      validatorCompiler: () => (value) => ({ value }),
      serializerCompiler: () => (data) => serializeCheck(data as Check),
    },
    (request) => {
      const { orgId: organizationId, feature: featureKey } = request.params;
      const use = checkFeature({
        pool,
        cache: entitlementCache,
        organizationId,
        featureKey,
        systemNow: clock(),
      });
      // Answered from memory: no promise on the hot path.
      return use instanceof Promise
        ? use.then((answered) => checkResponse(featureKey, answered))
        : checkResponse(featureKey, use);
    },
  );

  app.post(
    "/v1/organizations/:orgId/usage",
    {
      config: {
        access: access.organization(),
        errors: ["limit_exceeded"],
        answerInTransaction: true,
      },
      schema: {
        tags: ["entitlements"],
        summary: "Record usage",
        description:
          "Atomic: never exceeds a limit under concurrency; a repeated eventId counts once, whatever its timestamp, while the first event is kept (forever, or within ABONO_USAGE_RETENTION_MONTHS). At most 1,000,000 units per event (400) and 10^12 units per counter and period (409 limit_exceeded, reason counter_maximum). Over the limit → 409 limit_exceeded and nothing recorded, unless the plan prices overage (then it is billed in arrears). Negative quantities lower limit features (a preventive deactivated).",
        params: orgParams,
        body: z.object({
          feature: catalogKey,
          quantity: z
            .number()
            .int()
            .min(
              -maxUsageEventQuantity,
              `must be at least -${maxUsageEventQuantity} units per event`,
            )
            .max(maxUsageEventQuantity, `must be at most ${maxUsageEventQuantity} units per event`)
            .default(1),
          eventId: z.string().min(1).max(200),
        }),
        response: {
          200: z.object({
            allowed: z.literal(true),
            used: z.number().int(),
            remaining: z.number().int().nullable(),
            duplicate: z.boolean(),
          }),
        },
      },
    },
    async (request) => {
      const { use, duplicate } = await recordUsage({
        db,
        cache: entitlementCache,
        organizationId: request.params.orgId,
        featureKey: request.body.feature,
        quantity: BigInt(request.body.quantity),
        eventId: request.body.eventId,
        systemNow: clock(),
      });
      return {
        allowed: true as const,
        used: toNumber(use.used),
        remaining: count(use.remaining),
        duplicate,
      };
    },
  );

  app.post(
    "/v1/organizations/:orgId/purchases",
    {
      config: {
        access: access.organization("owner", "billing_admin"),
        errors: ["payment_failed", "invalid_state"],
      },
      schema: {
        tags: ["entitlements"],
        summary: "Buy a top-up pack",
        description:
          "A one-off invoice charged at once to the default payment method (the credit balance never applies). The units are granted by the worker right after; they do not reset with the period. Declined → 402, no grant. No payment method → 402 with `details.reason` `no_payment_method` and no invoice.",
        params: orgParams,
        body: z.object({
          packId: catalogKey,
          quantity: z.number().int().min(1).max(1000).default(1),
        }),
        response: {
          201: z.object({
            invoice: invoiceSchema,
            grant: z.object({ feature: z.string(), quantity: z.number().int() }),
          }),
        },
      },
    },
    async (request, reply) => {
      const result = await purchasePack({
        services: billingServices(dependencies),
        organizationId: request.params.orgId,
        packId: request.body.packId,
        quantity: request.body.quantity,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return reply.code(201).send({
        invoice: invoiceResponse(result.invoice),
        grant: { feature: result.grant.feature, quantity: toNumber(result.grant.quantity) },
      });
    },
  );

  app.get(
    "/v1/organizations/:orgId/recommendation",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["entitlements"],
        summary: "Plan recommendation",
        description:
          "The cheapest offered plan whose limits cover the organization's recent usage (the highest use per feature over the last three periods), with the reason.",
        params: orgParams,
        response: {
          200: z.object({
            currentPlanId: z.string(),
            recommendedPlanId: z.string().nullable(),
            reason: z.string(),
            usage: z.record(z.string(), z.number().int()),
          }),
        },
      },
    },
    async (request) => {
      const { usage, ...recommendation } = await loadPlanRecommendation({
        db,
        cache: entitlementCache,
        organizationId: request.params.orgId,
        systemNow: clock(),
      });
      return {
        ...recommendation,
        usage: Object.fromEntries(
          Object.entries(usage).map(([key, value]) => [key, toNumber(value)]),
        ),
      };
    },
  );

  app.post(
    "/v1/usage/batch",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["entitlements"],
        summary: "Record usage in bulk",
        description:
          "Up to 10,000 events, each counted once by (organizationId, eventId) while the first event is kept (forever, or within ABONO_USAGE_RETENTION_MONTHS), in one transaction. Events the caller may not record for, or that would exceed a limit, are rejected by index.",
        body: usageBatchBody,
        response: {
          200: z.object({
            accepted: z.number().int(),
            duplicates: z.number().int(),
            rejected: z.array(
              z.object({
                index: z.number().int(),
                code: z.enum(rejectionCodes).describe("Why the event was refused: docs/errors.md."),
              }),
            ),
          }),
        },
      },
      validatorCompiler: usageBatchValidator,
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw forbidden("Authentication required.");
      return ingestUsageBatch({
        db,
        cache: entitlementCache,
        principal,
        events: request.body.events.map((event) => ({
          organizationId: event.organizationId,
          feature: event.feature,
          quantity: BigInt(event.quantity),
          eventId: event.eventId,
          timestamp: event.timestamp ? new Date(event.timestamp) : null,
        })),
        systemNow: clock(),
      });
    },
  );
};
