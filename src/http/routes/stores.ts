import rateLimit from "@fastify/rate-limit";
import { and, desc, eq, isNull, lt, type SQL } from "drizzle-orm";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { storeSubscriptions, stores } from "../../db/schema/index.ts";
import { AbonoError } from "../../errors.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import { WebhookVerificationError } from "../../payments/checkout-provider.ts";
import { completePaymentEvent, recordPaymentEvent } from "../../payments/payment-events.ts";
import { interpretAppleNotification } from "../../providers/app-store/interpret-apple-notification.ts";
import {
  type AppleNotificationVerifier,
  createAppleNotificationVerifier,
} from "../../providers/app-store/verify-apple-notification.ts";
import { applyStoreOneTimePurchase } from "../../stores/apply-store-one-time-purchase.ts";
import {
  applyStoreSubscription,
  type StoreApplyResult,
} from "../../stores/apply-store-subscription.ts";
import { linkStoreSubscription } from "../../stores/link-store-subscription.ts";
import { reportUnlinkedPurchase } from "../../stores/report-unlinked-purchase.ts";
import { storeAccountToken } from "../../stores/store-account-tokens.ts";
import {
  listStoreProducts,
  type StoreProductRow,
  setStoreProducts,
} from "../../stores/store-products.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { catalogKey } from "../schemas/catalog-schemas.ts";
import { billingServices } from "./subscriptions.ts";

const storeProductInput = z
  .object({
    store: z.enum(stores),
    productId: z.string().trim().min(1).max(200),
    basePlanId: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

const storeProductSchema = z.object({
  store: z.enum(stores),
  productId: z.string(),
  basePlanId: z.string().nullable(),
});

const toStoreProduct = (row: StoreProductRow) => ({
  store: row.store,
  productId: row.productId,
  basePlanId: row.basePlanId || null,
});

const storeSubscriptionSchema = z.object({
  id: z.string(),
  store: z.enum(stores),
  storeSubscriptionId: z.string(),
  organizationId: z.string().nullable(),
  productId: z.string(),
  basePlanId: z.string().nullable(),
  planId: z.string().nullable(),
  status: z.string(),
  autoRenew: z.boolean(),
  expiresAt: z.date().nullable(),
  environment: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const toStoreSubscription = (row: typeof storeSubscriptions.$inferSelect) => ({
  id: row.id,
  store: row.store,
  storeSubscriptionId: row.storeSubscriptionId,
  organizationId: row.organizationId,
  productId: row.productId,
  basePlanId: row.basePlanId || null,
  planId: row.planId,
  status: row.status,
  autoRenew: row.autoRenew,
  expiresAt: row.expiresAt,
  environment: row.environment,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/**
 * App Store and Google Play (docs/app-stores.md): store products in the catalog, the organization's store
 * token, the stores' notifications, and root's view of purchases no organization could be found for.
 */
export const storeRoutes: RouteModule = (app, dependencies) => {
  const { db, clock, logger, config } = dependencies;
  const services = billingServices(dependencies);

  for (const kind of ["plan", "pack"] as const) {
    const parameter = kind === "plan" ? "planId" : "packId";
    const path = `/v1/${kind}s/:${parameter}/store-products`;
    const params = z.object({ [parameter]: catalogKey }) as unknown as z.ZodObject<{
      id: typeof catalogKey;
    }>;
    const targetOf = (request: { params: Record<string, string> }) =>
      request.params[parameter] ?? "";
    app.put(
      path,
      {
        config: { access: access.root },
        schema: {
          tags: ["catalog", "app stores"],
          summary: `Set a ${kind}'s store products`,
          description: `Replaces the App Store and Google Play products sold as this ${kind} (${kind === "plan" ? "auto-renewable subscriptions; a Google product may name its base plan, or cover all of them" : "consumables: each purchase grants the pack"}). Each (store, productId, basePlanId) belongs to one plan or pack: listed twice → 400, another entry's → 409 \`conflict\`. Root only.`,
          params,
          body: z.object({ storeProducts: z.array(storeProductInput).max(50) }).strict(),
          response: { 200: z.object({ storeProducts: z.array(storeProductSchema) }) },
        },
      },
      async (request) => {
        const rows = await setStoreProducts({
          db,
          kind,
          targetId: targetOf(request),
          products: request.body.storeProducts,
          actor: request.principal?.id ?? "unknown",
          now: clock(),
        });
        return { storeProducts: rows.map(toStoreProduct) };
      },
    );
    app.get(
      path,
      {
        config: { access: access.authenticated },
        schema: {
          tags: ["catalog", "app stores"],
          summary: `Get a ${kind}'s store products`,
          description: `The App Store and Google Play products sold as this ${kind}. Any authenticated caller (the app needs them to offer the products).`,
          params,
          response: { 200: z.object({ storeProducts: z.array(storeProductSchema) }) },
        },
      },
      async (request) => {
        const rows = await listStoreProducts({ executor: db, kind, targetId: targetOf(request) });
        return { storeProducts: rows.map(toStoreProduct) };
      },
    );
  }

  app.get(
    "/v1/organizations/:orgId/store-tokens",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["app stores"],
        summary: "Get the organization's store tokens",
        description:
          "The UUID the app passes with every store purchase for this organization: StoreKit's `appAccountToken` and Google Play Billing's `obfuscatedExternalAccountId`. Issued on the first request, the same afterwards. A purchase without it cannot be tied to the organization.",
        params: z.object({ orgId: z.string() }),
        response: {
          200: z.object({
            organizationId: z.string(),
            appAccountToken: z.uuid(),
            obfuscatedExternalAccountId: z.uuid(),
          }),
        },
      },
    },
    async (request) => {
      const organizationId = request.params.orgId;
      await getOrganizationRecord({ db, organizationId });
      const token = await storeAccountToken({ executor: db, organizationId, now: clock() });
      return { organizationId, appAccountToken: token, obfuscatedExternalAccountId: token };
    },
  );

  app.get(
    "/v1/root/store-subscriptions",
    {
      config: { access: access.root },
      schema: {
        tags: ["app stores"],
        summary: "List store subscriptions",
        description:
          "Every App Store and Google Play subscription Abono heard of, newest first; `unlinked=true` lists only those no organization could be found for (no or unknown account token), which operators link with `POST /v1/root/store-subscriptions/{id}/link`. Root only.",
        querystring: listQuery.extend({
          unlinked: z.enum(["true", "false"]).optional(),
          organizationId: z.string().optional(),
        }),
        response: { 200: listResponse(storeSubscriptionSchema) },
      },
    },
    async (request) => {
      const { limit, cursor, unlinked, organizationId } = request.query;
      const conditions: SQL[] = [];
      if (unlinked === "true") conditions.push(isNull(storeSubscriptions.organizationId));
      if (organizationId) conditions.push(eq(storeSubscriptions.organizationId, organizationId));
      if (cursor) conditions.push(lt(storeSubscriptions.id, cursor));
      const rows = await db
        .select()
        .from(storeSubscriptions)
        .where(and(...conditions))
        .orderBy(desc(storeSubscriptions.id))
        .limit(limit + 1);
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(toStoreSubscription) };
    },
  );

  app.post(
    "/v1/root/store-subscriptions/:storeSubscriptionId/link",
    {
      config: { access: access.root, errors: ["invalid_state", "confirmation_mismatch"] },
      schema: {
        tags: ["app stores"],
        summary: "Link a store subscription to an organization",
        description:
          "Ties a store purchase that named no known organization to one, then applies its last known state (entitlement, payment, audit, events) as if it had been tied from the start. Only an unlinked subscription can be linked (409 `invalid_state` otherwise). `reason` is kept in the audit trail. Root only.",
        params: z.object({ storeSubscriptionId: z.string() }),
        body: z
          .object({
            organizationId: z.string().min(1),
            reason: z.string().trim().min(1, "a reason is required").max(1000),
          })
          .strict(),
        response: { 200: storeSubscriptionSchema },
      },
    },
    async (request) => {
      const row = await linkStoreSubscription({
        services,
        storeSubscriptionId: request.params.storeSubscriptionId,
        organizationId: request.body.organizationId,
        reason: request.body.reason,
        actor: request.principal?.id ?? "unknown",
        systemNow: clock(),
      });
      return toStoreSubscription(row);
    },
  );

  const appleConfig = config.stores.apple;
  const verifyApple: AppleNotificationVerifier | undefined = appleConfig
    ? createAppleNotificationVerifier(appleConfig)
    : undefined;
  const limits = config.http.webhooks;

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => {
      done(null, body);
    });
    await scope.register(rateLimit, {
      max: limits.ratePerMinute,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) =>
        new AbonoError(
          "rate_limited",
          `Too many webhook requests from this address: at most ${context.max} a minute. Retry in ${context.after}.`,
          { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
        ),
    });

    scope.withTypeProvider<ZodTypeProvider>().post(
      "/v1/webhooks/apple",
      {
        bodyLimit: limits.bodyLimitBytes,
        config: {
          access: access.public,
          errors: ["webhook_signature_invalid", "rate_limited", "not_found"],
        },
        schema: {
          tags: ["payments", "app stores"],
          summary: "Receive App Store Server Notifications v2",
          description:
            "`{signedPayload}` verified with Apple's SignedDataVerifier (certificate chain to the configured Apple roots, bundle id, app Apple ID, environment); the signed transaction and renewal info likewise. A forged payload, or one signed longer ago than `ABONO_APPLE_NOTIFICATION_MAX_AGE_HOURS`, answers 400 `webhook_signature_invalid` and changes nothing. Each `notificationUUID` is applied once; an older state (by the transaction's `signedDate`) never replaces a newer one. Every request is stored in `payment_events`. Not configured → 404.",
          response: { 200: z.object({ received: z.literal(true), outcome: z.string() }) },
        },
      },
      async (request) => {
        const systemNow = clock();
        if (!verifyApple) {
          throw new AbonoError(
            "not_found",
            "Webhooks from the App Store are not accepted here: it is not configured on this service (docs/app-stores.md). Nothing was stored.",
            { provider: "app_store" },
          );
        }
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const headers = Object.fromEntries(
          Object.entries(request.headers).map(([name, value]) => [
            name.toLowerCase(),
            Array.isArray(value) ? value.join(",") : value,
          ]),
        );
        const received = {
          db,
          provider: "app_store",
          headers,
          query: {},
          body: rawBody,
          now: systemNow,
        };
        let verified: Awaited<ReturnType<AppleNotificationVerifier>>;
        try {
          verified = await verifyApple({ rawBody, now: systemNow });
        } catch (error) {
          const rejected = error instanceof WebhookVerificationError;
          const reason = error instanceof Error ? error.message : String(error);
          const paymentEventId = await recordPaymentEvent({
            ...received,
            rejection: {
              verificationError: reason,
              outcome: rejected ? "rejected" : `failed: ${reason}`,
            },
          });
          if (!rejected) throw error;
          logger.warn({ provider: "app_store", paymentEventId, reason }, "webhook rejected");
          throw new AbonoError("webhook_signature_invalid", reason, { paymentEventId });
        }
        const eventId = await recordPaymentEvent(received);
        const { notification, transaction, renewalInfo } = verified;
        const notificationType = String(notification.notificationType ?? "UNKNOWN");
        const eventType = notification.subtype
          ? `${notificationType}.${String(notification.subtype)}`
          : notificationType;
        const complete = (outcome: string, paymentId: string | null = null) =>
          completePaymentEvent({
            db,
            id: eventId,
            result: {
              verified: true,
              providerEventId: notification.notificationUUID ?? null,
              eventType,
              outcome,
              paymentId,
            },
            now: systemNow,
          });
        try {
          const meaning = interpretAppleNotification({
            notificationType,
            subtype: notification.subtype === undefined ? undefined : String(notification.subtype),
            signedDate: notification.signedDate ?? systemNow.getTime(),
            transaction,
            renewalInfo,
          });
          const notice = {
            store: "app_store" as const,
            notificationId: notification.notificationUUID ?? "",
            notificationType: eventType,
          };
          let result: StoreApplyResult | null = null;
          if (meaning.kind === "subscription") {
            result = await applyStoreSubscription({
              services,
              state: meaning.state,
              transaction: meaning.transaction,
              notice,
              systemNow,
            });
          } else if (meaning.kind === "one_time") {
            result = await applyStoreOneTimePurchase({
              db,
              purchase: meaning.purchase,
              notice,
              systemNow,
            });
          }
          const outcome = result
            ? result.outcome
            : `ignored: ${meaning.kind === "ignored" ? meaning.reason : ""}`;
          if (result?.outcome === "unlinked" || result?.outcome === "unknown_product") {
            await reportUnlinkedPurchase({
              db,
              store: "app_store",
              outcome: result.outcome,
              storeSubscriptionId: result.storeSubscriptionId,
              productId: transaction?.productId ?? null,
              dedupeKey: `store:app_store:${notice.notificationId}`,
            });
          }
          await complete(outcome, result?.paymentId ?? null);
          return { received: true as const, outcome };
        } catch (error) {
          await complete(`failed: ${error instanceof Error ? error.message : String(error)}`);
          throw error;
        }
      },
    );
  });
};
