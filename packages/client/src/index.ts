import createClient from "openapi-fetch";
import {
  type EntitlementSummary,
  LocalEntitlements,
  type LocalEntitlementsOptions,
} from "./local-entitlements.js";
import type { paths } from "./openapi.gen.js";
import { createTransport, type TransportOptions, unwrap } from "./transport.js";

export { AbonoError } from "./errors.js";
export type {
  EntitlementSummary,
  LocalCheck,
  LocalEntitlementsOptions,
  LocalStatus,
} from "./local-entitlements.js";
export { LocalEntitlements } from "./local-entitlements.js";
export type { components, operations, paths } from "./openapi.gen.js";
export { unwrap } from "./transport.js";
export { type AbonoEvent, type AbonoEventType, verifyWebhook } from "./webhooks.js";

export interface AbonoOptions extends TransportOptions {
  /** The service's base URL, e.g. https://billing.example.com */
  baseUrl: string;
  /** A root or organization secret key (server side only), or a portal session token. */
  apiKey?: string;
}

type Json<Op, Status extends number = 200> = Op extends {
  responses: { [S in Status]: { content: { "application/json": infer B } } };
}
  ? B
  : never;
type Body<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } }
  ? B
  : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type Page<Item> = { data: Item[]; hasMore: boolean; nextCursor: string | null };

/** Iterates every item of a paginated list, fetching pages as needed (`?cursor=`). */
async function* paginate<Item>(
  page: (cursor: string | undefined) => Promise<Page<Item>>,
): AsyncGenerator<Item> {
  let cursor: string | undefined;
  for (;;) {
    const current = await page(cursor);
    yield* current.data;
    if (!current.hasMore || current.nextCursor === null) return;
    cursor = current.nextCursor;
  }
}

/**
 * The Abono client: one object per service, named after the API (docs/sdk.md). Every mutation carries an
 * `Idempotency-Key` kept across retries; failures throw `AbonoError`.
 */
export function createAbono(options: AbonoOptions) {
  const transport = createTransport(options);
  const headers: Record<string, string> = options.apiKey
    ? { authorization: `Bearer ${options.apiKey}` }
    : {};
  const api = createClient<paths>({ baseUrl: options.baseUrl, headers, fetch: transport });
  const org = (orgId: string) => ({ path: { orgId } });

  return {
    /** The typed openapi-fetch client, for any operation the surface below does not name. */
    api,
    organizations: {
      create: async (body: Body<paths["/v1/organizations"]["post"]>) =>
        unwrap(await api.POST("/v1/organizations", { body })),
      get: async (orgId: string) =>
        unwrap(await api.GET("/v1/organizations/{orgId}", { params: org(orgId) })),
      list: (query: Query<paths["/v1/organizations"]["get"]> = {}) =>
        paginate((cursor) =>
          api
            .GET("/v1/organizations", {
              params: { query: { ...query, ...(cursor ? { cursor } : {}) } },
            })
            .then(unwrap),
        ),
    },
    plans: {
      list: async () => unwrap(await api.GET("/v1/plans", {})),
      get: async (planId: string) =>
        unwrap(await api.GET("/v1/plans/{planId}", { params: { path: { planId } } })),
      listPublic: async (query: Query<paths["/v1/public/plans"]["get"]> = {}) =>
        unwrap(await api.GET("/v1/public/plans", { params: { query } })),
    },
    subscriptions: {
      get: async (orgId: string) =>
        unwrap(await api.GET("/v1/organizations/{orgId}/subscription", { params: org(orgId) })),
      create: async (
        orgId: string,
        body: Body<paths["/v1/organizations/{orgId}/subscription"]["post"]>,
      ) =>
        unwrap(
          await api.POST("/v1/organizations/{orgId}/subscription", { params: org(orgId), body }),
        ),
      previewChange: async (
        orgId: string,
        body: Body<paths["/v1/organizations/{orgId}/subscription/preview-change"]["post"]>,
      ) =>
        unwrap(
          await api.POST("/v1/organizations/{orgId}/subscription/preview-change", {
            params: org(orgId),
            body,
          }),
        ),
      change: async (
        orgId: string,
        body: Body<paths["/v1/organizations/{orgId}/subscription/change"]["post"]>,
      ) =>
        unwrap(
          await api.POST("/v1/organizations/{orgId}/subscription/change", {
            params: org(orgId),
            body,
          }),
        ),
      cancel: async (
        orgId: string,
        body: Body<paths["/v1/organizations/{orgId}/subscription/cancel"]["post"]>,
      ) =>
        unwrap(
          await api.POST("/v1/organizations/{orgId}/subscription/cancel", {
            params: org(orgId),
            body,
          }),
        ),
    },
    usage: {
      /** Consumes usage: the server is the only authority on limits (409 limit_exceeded). */
      record: async (orgId: string, body: Body<paths["/v1/organizations/{orgId}/usage"]["post"]>) =>
        unwrap(await api.POST("/v1/organizations/{orgId}/usage", { params: org(orgId), body })),
    },
    entitlements: {
      get: async (orgId: string) =>
        unwrap(await api.GET("/v1/organizations/{orgId}/entitlement", { params: org(orgId) })),
      check: async (orgId: string, feature: string) =>
        unwrap(
          await api.GET("/v1/organizations/{orgId}/entitlements/{feature}", {
            params: { path: { orgId, feature } },
          }),
        ),
      /**
       * Keeps the organizations' entitlements in memory, fed by the entitlement stream: `check` (synchronous,
       * undefined when stale) and `get` (async, asks the server when the snapshot is stale).
       */
      local: (localOptions: LocalEntitlementsOptions = {}) => {
        const organizations = localOptions.organizations ?? "all";
        const query = organizations === "all" ? "all" : organizations.join(",");
        const url = `${options.baseUrl}/v1/entitlements/stream?organizations=${encodeURIComponent(query)}`;
        return new LocalEntitlements(
          (lastEventId, signal) =>
            (options.fetch ?? globalThis.fetch)(url, {
              headers: {
                ...headers,
                accept: "text/event-stream",
                ...(lastEventId ? { "last-event-id": lastEventId } : {}),
              },
              signal,
            }),
          localOptions,
          async (orgId) =>
            unwrap(
              await api.GET("/v1/organizations/{orgId}/entitlement", { params: org(orgId) }),
            ) as EntitlementSummary,
        );
      },
    },
    invoices: {
      list: (orgId: string) =>
        paginate((cursor) =>
          api
            .GET("/v1/organizations/{orgId}/invoices", {
              params: { path: { orgId }, query: cursor ? { cursor } : {} },
            })
            .then(unwrap),
        ),
      get: async (invoiceId: string) =>
        unwrap(await api.GET("/v1/invoices/{invoiceId}", { params: { path: { invoiceId } } })),
    },
    checkouts: {
      create: async (
        orgId: string,
        body: Body<paths["/v1/organizations/{orgId}/checkouts"]["post"]>,
      ) =>
        unwrap(await api.POST("/v1/organizations/{orgId}/checkouts", { params: org(orgId), body })),
      get: async (orgId: string, checkoutId: string) =>
        unwrap(
          await api.GET("/v1/organizations/{orgId}/checkouts/{checkoutId}", {
            params: { path: { orgId, checkoutId } },
          }),
        ),
    },
  };
}

export type Abono = ReturnType<typeof createAbono>;
export type { Json };
