import { and, desc, eq, isNull, lt, type SQL } from "drizzle-orm";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { storeSubscriptions, stores } from "../../db/schema/index.ts";
import { conflict, invalidState, validationError } from "../../errors.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import { linkStoreSubscription } from "../../stores/link-store-subscription.ts";
import {
  createStoreClients,
  reconcileStoreSubscriptions,
} from "../../stores/reconcile-store-subscriptions.ts";
import { storeAccountToken } from "../../stores/store-account-tokens.ts";
import {
  findStoreProduct,
  listStoreProducts,
  type StoreProductRow,
  setStoreProducts,
} from "../../stores/store-products.ts";
import { syncGoogleProduct } from "../../stores/sync-google-product.ts";
import { syncGoogleSubscription } from "../../stores/sync-google-subscription.ts";
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
  pendingProductId: z.string().nullable().meta({
    description:
      "The product the subscription renews into (a downgrade or crossgrade chosen in the store): the plan switches at `expiresAt`, on the renewal charged for it.",
  }),
  pendingPlanId: z.string().nullable(),
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
  pendingProductId: (row.data.pendingProductId as string | null | undefined) ?? null,
  pendingPlanId: (row.data.pendingPlanId as string | null | undefined) ?? null,
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
  const { db, clock, config } = dependencies;
  const clients = createStoreClients(config);
  const googleApi = clients.google ?? undefined;
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
    "/v1/organizations/:orgId/store-subscriptions",
    {
      config: { access: access.organization() },
      schema: {
        tags: ["app stores"],
        summary: "List the organization's store subscriptions",
        description:
          "The organization's App Store and Google Play subscriptions, newest first (the billing portal shows them as managed by the store). Any member of the organization.",
        params: z.object({ orgId: z.string() }),
        response: { 200: z.object({ data: z.array(storeSubscriptionSchema) }) },
      },
    },
    async (request) => {
      await getOrganizationRecord({ db, organizationId: request.params.orgId });
      const rows = await db
        .select()
        .from(storeSubscriptions)
        .where(eq(storeSubscriptions.organizationId, request.params.orgId))
        .orderBy(desc(storeSubscriptions.id))
        .limit(100);
      return { data: rows.map(toStoreSubscription) };
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

  app.post(
    "/v1/organizations/:orgId/store-purchases",
    {
      config: {
        access: access.organization("owner", "billing_admin"),
        errors: ["conflict", "provider_error"],
      },
      schema: {
        tags: ["app stores"],
        summary: "Register a store purchase",
        description:
          "The app sends a Google Play purchase right after it is made, so the organization's entitlement follows without waiting for the store's notification. Abono fetches the purchase from Google (`purchases.subscriptionsv2.get`), checks it is for `productId` and, if it names an `obfuscatedExternalAccountId`, that it is this organization's store token (409 `conflict` otherwise), acknowledges it and applies it. A one-time product mapped to a pack (a consumable) is fetched with `purchases.products.get` instead, the pack granted once and the purchase consumed (`storeSubscription` null). Idempotent by purchase token: registering it again changes nothing new. A purchase already tied to another organization → 409 `conflict`. Google Play not configured → 409 `invalid_state`.",
        params: z.object({ orgId: z.string() }),
        body: z
          .object({
            store: z.literal("google_play", {
              error:
                "store must be google_play: App Store purchases arrive by App Store Server Notifications",
            }),
            purchaseToken: z.string().trim().min(1).max(2000),
            productId: z.string().trim().min(1).max(200),
          })
          .strict(),
        response: {
          200: z.object({
            outcome: z.string(),
            storeSubscription: storeSubscriptionSchema.nullable(),
          }),
        },
      },
    },
    async (request) => {
      const organizationId = request.params.orgId;
      await getOrganizationRecord({ db, organizationId });
      if (!googleApi) {
        throw invalidState("Google Play is not configured on this service (docs/app-stores.md).");
      }
      const systemNow = clock();
      const token = await storeAccountToken({ executor: db, organizationId, now: systemNow });
      const { purchaseToken, productId } = request.body;
      // Registered once per purchase token: a repeat finds it applied.
      const notice = {
        store: "google_play" as const,
        notificationId: `registration:${purchaseToken}`,
        notificationType: "REGISTRATION",
      };
      const product = await findStoreProduct({
        executor: db,
        store: "google_play",
        productId,
        basePlanId: "",
      });
      let result: { outcome: string; ignored?: string; organizationId: string | null };
      try {
        result =
          product?.kind === "pack"
            ? await syncGoogleProduct({
                db,
                api: googleApi,
                productId,
                purchaseToken,
                notice,
                accountToken: token,
                expected: { accountToken: token },
                systemNow,
              })
            : await syncGoogleSubscription({
                services,
                api: googleApi,
                purchaseToken,
                notice,
                accountToken: token,
                expected: { productId, accountToken: token },
                systemNow,
              });
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        if (status === 404 || status === 400 || status === 410) {
          throw validationError("Google Play does not know this purchase token for this app.");
        }
        throw error;
      }
      if (product?.kind === "pack") {
        if (result.organizationId !== null && result.organizationId !== organizationId) {
          throw conflict("This purchase belongs to another organization.");
        }
        return {
          outcome: result.ignored ? `ignored: ${result.ignored}` : result.outcome,
          storeSubscription: null,
        };
      }
      const [row] = await db
        .select()
        .from(storeSubscriptions)
        .where(
          and(
            eq(storeSubscriptions.store, "google_play"),
            eq(storeSubscriptions.storeSubscriptionId, purchaseToken),
          ),
        );
      if (row?.organizationId && row.organizationId !== organizationId) {
        throw conflict("This purchase belongs to another organization.");
      }
      return {
        outcome: result.ignored ? `ignored: ${result.ignored}` : result.outcome,
        storeSubscription: row ? toStoreSubscription(row) : null,
      };
    },
  );

  app.post(
    "/v1/root/organizations/:orgId/store-sync",
    {
      config: { access: access.root },
      schema: {
        tags: ["app stores", "root"],
        summary: "Reconcile an organization's store subscriptions now",
        description:
          "Asks the App Store (`getAllSubscriptionStatuses`, with an App Store Server API key configured) and Google Play (`purchases.subscriptionsv2.get`) for the current state of each of the organization's store subscriptions and applies what is newer than Abono's, as the daily reconciliation does. Each subscription's `outcome`: `processed`, `stale_state` (Abono's is as new), `skipped: …` (store not configured), `failed: …`. Root only.",
        params: z.object({ orgId: z.string() }),
        response: {
          200: z.object({
            organizationId: z.string(),
            results: z.array(
              z.object({ storeSubscriptionId: z.string(), store: z.string(), outcome: z.string() }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const organizationId = request.params.orgId;
      await getOrganizationRecord({ db, organizationId });
      const results = await reconcileStoreSubscriptions({
        services,
        clients,
        organizationId,
        systemNow: clock(),
      });
      return { organizationId, results };
    },
  );
};
