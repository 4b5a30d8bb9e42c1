import { type Access, access } from "../auth/principal.ts";
import type { App } from "./app-types.ts";

export type RootOnlyMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RootOnlyRoute {
  method: RootOnlyMethod;
  path: string;
}

/**
 * Every route only the platform operator (root) may call, in one place. A route listed here is root-only
 * whatever its own `config.access` says (a listed route that declares a different access stops the server
 * at boot); a route that declares `access.root` but is missing here is reported at boot and fails
 * `test/root/root-only-routes.test.ts`. Organization routes with role checks are not listed: they declare
 * `access.organization(…roles)` next to their handler.
 */
export const rootOnlyRoutes: readonly RootOnlyRoute[] = [
  // API keys
  { method: "GET", path: "/v1/api-keys" },
  { method: "DELETE", path: "/v1/api-keys/:keyId" },
  // Catalog ("Plan Settings")
  { method: "POST", path: "/v1/features" },
  { method: "PUT", path: "/v1/features/:feature/usage-thresholds" },
  { method: "POST", path: "/v1/plans" },
  { method: "PATCH", path: "/v1/plans/:planId" },
  { method: "POST", path: "/v1/plans/:planId/archive" },
  { method: "POST", path: "/v1/plans/:planId/unarchive" },
  { method: "GET", path: "/v1/plans/:planId/archive-preview" },
  { method: "POST", path: "/v1/addons" },
  { method: "PATCH", path: "/v1/addons/:addonId" },
  { method: "POST", path: "/v1/addons/:addonId/archive" },
  { method: "POST", path: "/v1/addons/:addonId/unarchive" },
  { method: "GET", path: "/v1/addons/:addonId/archive-preview" },
  { method: "POST", path: "/v1/packs" },
  { method: "POST", path: "/v1/packs/:packId/archive" },
  { method: "POST", path: "/v1/packs/:packId/unarchive" },
  { method: "GET", path: "/v1/packs/:packId/archive-preview" },
  { method: "POST", path: "/v1/coupons" },
  { method: "GET", path: "/v1/coupons" },
  { method: "GET", path: "/v1/coupons/:couponCode" },
  { method: "POST", path: "/v1/coupons/:couponCode/archive" },
  { method: "POST", path: "/v1/coupons/:couponCode/unarchive" },
  { method: "GET", path: "/v1/coupons/:couponCode/archive-preview" },
  { method: "PUT", path: "/v1/plans/:planId/store-products" },
  { method: "PUT", path: "/v1/packs/:packId/store-products" },
  { method: "POST", path: "/v1/tax-rates" },
  { method: "POST", path: "/v1/tax-rates/:taxRateId/archive" },
  { method: "POST", path: "/v1/tax-rates/:taxRateId/unarchive" },
  // Test clocks (test mode)
  { method: "POST", path: "/v1/test-clocks" },
  { method: "GET", path: "/v1/test-clocks/:testClockId" },
  { method: "POST", path: "/v1/test-clocks/:testClockId/advance" },
  // Organizations across tenants
  { method: "GET", path: "/v1/organizations" },
  { method: "DELETE", path: "/v1/organizations/:orgId" },
  { method: "PATCH", path: "/v1/organizations/:orgId/billing-currency" },
  // Root operations and the audit trail
  { method: "POST", path: "/v1/root/organizations/:orgId/plan" },
  { method: "POST", path: "/v1/root/organizations/:orgId/balance-adjustments" },
  // Refunds and payouts (docs/billing.md)
  { method: "POST", path: "/v1/invoices/:invoiceId/refunds" },
  { method: "POST", path: "/v1/organizations/:orgId/balance/payouts" },
  { method: "GET", path: "/v1/root/organizations/:orgId/entitlement-overrides" },
  { method: "PUT", path: "/v1/root/organizations/:orgId/entitlement-overrides/:feature" },
  { method: "DELETE", path: "/v1/root/organizations/:orgId/entitlement-overrides/:feature" },
  { method: "GET", path: "/v1/root/store-subscriptions" },
  { method: "POST", path: "/v1/root/organizations/:orgId/store-sync" },
  { method: "POST", path: "/v1/root/store-subscriptions/:storeSubscriptionId/link" },
  { method: "GET", path: "/v1/audit-logs" },
  { method: "GET", path: "/v1/audit-logs/verify" },
  // The backoffice's own session (signing in is public: it checks the credential itself)
  { method: "GET", path: "/v1/admin-session" },
  { method: "DELETE", path: "/v1/admin-session" },
  { method: "GET", path: "/v1/admin/dashboard" },
  { method: "GET", path: "/v1/admin/dashboard/movements" },
  { method: "GET", path: "/v1/admin/organizations" },
  { method: "GET", path: "/v1/admin/plans/:planId/versions" },
  // Installation settings
  { method: "GET", path: "/v1/settings/issuer" },
  { method: "PATCH", path: "/v1/settings/issuer" },
  // Payments in and what went out
  { method: "GET", path: "/v1/payment-events" },
  { method: "GET", path: "/v1/notifications" },
  { method: "GET", path: "/v1/mailbox" },
  // Outbound events: webhook endpoints, SQS destinations and their delivery log
  { method: "POST", path: "/v1/webhook-endpoints" },
  { method: "GET", path: "/v1/webhook-endpoints" },
  { method: "GET", path: "/v1/webhook-endpoints/:endpointId" },
  { method: "PATCH", path: "/v1/webhook-endpoints/:endpointId" },
  { method: "DELETE", path: "/v1/webhook-endpoints/:endpointId" },
  { method: "POST", path: "/v1/webhook-endpoints/:endpointId/disable" },
  { method: "POST", path: "/v1/webhook-endpoints/:endpointId/enable" },
  { method: "POST", path: "/v1/webhook-endpoints/:endpointId/rotate-secret" },
  { method: "POST", path: "/v1/webhook-endpoints/:endpointId/test" },
  { method: "POST", path: "/v1/webhook-endpoints/:endpointId/replay" },
  { method: "GET", path: "/v1/webhook-deliveries" },
  { method: "GET", path: "/v1/webhook-deliveries/:deliveryId" },
  { method: "POST", path: "/v1/webhook-deliveries/:deliveryId/retry" },
];

const routeKey = (method: string, path: string) => `${method} ${path}`;
const listed = new Set(rootOnlyRoutes.map((route) => routeKey(route.method, route.path)));

/** Is `METHOD path` (the route's pattern, e.g. `/v1/plans/:planId`) listed as root-only? HEAD follows GET. */
function isRootOnlyRoute(method: string, path: string): boolean {
  return listed.has(routeKey(method === "HEAD" ? "GET" : method, path));
}

/** Per app: every registered route (`METHOD path`) and the access it ended up with. */
const accessTables = new WeakMap<object, Map<string, Access>>();

/** The access of every route of `app`, after the root-only list was applied (for tests and reports). */
export function routeAccessTable(app: App): ReadonlyMap<string, Access> {
  return accessTables.get(app) ?? new Map();
}

/**
 * Applies the root-only list: must run before the route modules register their routes. The
 * authentication hook then enforces `config.access` as usual.
 */
export function registerRootOnlyRoutes(app: App) {
  const table = new Map<string, Access>();
  accessTables.set(app, table);
  const unlisted: string[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const declared = route.config?.access;
    for (const method of methods) {
      const key = routeKey(method, route.url);
      if (isRootOnlyRoute(method, route.url)) {
        if (declared !== undefined && declared.kind !== "root") {
          throw new Error(
            `${key} is listed as root-only in src/http/root-routes.ts but declares access "${declared.kind}"; make it access.root or remove it from the list.`,
          );
        }
        route.config = { ...route.config, access: access.root };
        table.set(key, access.root);
        continue;
      }
      if (declared?.kind === "root" && method !== "HEAD") unlisted.push(key);
      table.set(key, declared ?? access.authenticated);
    }
  });
  app.addHook("onReady", async () => {
    if (unlisted.length > 0) {
      app.log.warn(
        { routes: unlisted },
        "root-only routes missing from src/http/root-routes.ts: add them to the list",
      );
    }
  });
}
