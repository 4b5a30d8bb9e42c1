import type { paths } from "@abono/client";

/** The JSON body of a route's success answer (200 or 201), from the generated OpenAPI types. */
export type Answer<
  Path extends keyof paths,
  Method extends keyof paths[Path],
> = paths[Path][Method] extends {
  responses: infer Responses;
}
  ? Responses extends { 200: { content: { "application/json": infer Body } } }
    ? Body
    : Responses extends { 201: { content: { "application/json": infer Body } } }
      ? Body
      : never
  : never;

export type Subscription = Answer<"/v1/organizations/{orgId}/subscription", "get">;
export type Entitlement = Answer<"/v1/organizations/{orgId}/entitlement", "get">;
export type Plan = Answer<"/v1/plans", "get">["data"][number];
export type Feature = Answer<"/v1/features", "get">["data"][number];
export type Pack = Answer<"/v1/packs", "get">["data"][number];
export type Addon = Answer<"/v1/addons", "get">["data"][number];
export type Invoice = Answer<"/v1/organizations/{orgId}/invoices", "get">["data"][number];
export type CreditNote = Answer<"/v1/organizations/{orgId}/credit-notes", "get">["data"][number];
export type Balance = Answer<"/v1/organizations/{orgId}/balance", "get">;
export type PaymentMethod = Answer<
  "/v1/organizations/{orgId}/payment-methods",
  "get"
>["data"][number];
export type PlanChangePreview = Answer<
  "/v1/organizations/{orgId}/subscription/preview-change",
  "post"
>;
export type CheckoutQuote = Answer<"/v1/organizations/{orgId}/checkouts/quote", "post">;
export type Checkout = Answer<"/v1/organizations/{orgId}/checkouts/{checkoutId}", "get">;
export type PortalSessionInfo = Answer<"/v1/portal-session", "get">;
export type PublicPlans = Answer<"/v1/public/plans", "get">;
export type StoreSubscription = Answer<
  "/v1/organizations/{orgId}/store-subscriptions",
  "get"
>["data"][number];
export type Recommendation = Answer<"/v1/organizations/{orgId}/recommendation", "get">;
