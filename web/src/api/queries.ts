import { AbonoError } from "@abono/client";
import { useQuery } from "@tanstack/react-query";
import { usePortal } from "../portal-context.tsx";
import { api, unwrap } from "./client.ts";

/** Reads the screens share, cached and refreshed together by TanStack Query (keys start with the organization). */
export const keys = {
  subscription: (orgId: string) => [orgId, "subscription"] as const,
  entitlement: (orgId: string) => [orgId, "entitlement"] as const,
  balance: (orgId: string) => [orgId, "balance"] as const,
  upcoming: (orgId: string) => [orgId, "upcoming-invoice"] as const,
  invoices: (orgId: string) => [orgId, "invoices"] as const,
  creditNotes: (orgId: string) => [orgId, "credit-notes"] as const,
  paymentMethods: (orgId: string) => [orgId, "payment-methods"] as const,
  recommendation: (orgId: string) => [orgId, "recommendation"] as const,
  checkouts: (orgId: string) => [orgId, "checkouts"] as const,
  storeSubscriptions: (orgId: string) => [orgId, "store-subscriptions"] as const,
};

/** The organization's App Store / Google Play subscriptions (the store manages them). */
export function useStoreSubscriptions() {
  const { organizationId } = usePortal();
  return useQuery({
    queryKey: keys.storeSubscriptions(organizationId),
    queryFn: () =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/store-subscriptions", {
          params: { path: { orgId: organizationId } },
        }),
      ),
  });
}

/**
 * The organization's live store subscription (trialing, active or past due), which manages its plan:
 * undefined while loading, null when there is none.
 */
export function useLiveStoreSubscription() {
  const storeSubscriptions = useStoreSubscriptions();
  if (storeSubscriptions.isPending) return undefined;
  return (
    storeSubscriptions.data?.data.find((row) =>
      ["trialing", "active", "past_due"].includes(row.status),
    ) ?? null
  );
}

/** The live subscription, or null on the free plan (the API answers 404). */
export function useSubscription() {
  const { organizationId } = usePortal();
  return useQuery({
    queryKey: keys.subscription(organizationId),
    queryFn: async () => {
      try {
        return await unwrap(
          api.GET("/v1/organizations/{orgId}/subscription", {
            params: { path: { orgId: organizationId } },
          }),
        );
      } catch (error) {
        if (error instanceof AbonoError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

export function useEntitlement() {
  const { organizationId } = usePortal();
  return useQuery({
    queryKey: keys.entitlement(organizationId),
    queryFn: () =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/entitlement", {
          params: { path: { orgId: organizationId } },
        }),
      ),
  });
}

/** The balance: only the billing roles may read it. */
export function useBalance() {
  const { organizationId, canPay } = usePortal();
  return useQuery({
    queryKey: keys.balance(organizationId),
    enabled: canPay,
    queryFn: () =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/balance", {
          params: { path: { orgId: organizationId }, query: { limit: 5 } },
        }),
      ),
  });
}

export function useUpcomingInvoice() {
  const { organizationId, canPay } = usePortal();
  return useQuery({
    queryKey: keys.upcoming(organizationId),
    enabled: canPay,
    queryFn: () =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/upcoming-invoice", {
          params: { path: { orgId: organizationId } },
        }),
      ),
  });
}

export function useRecommendation() {
  const { organizationId } = usePortal();
  return useQuery({
    queryKey: keys.recommendation(organizationId),
    queryFn: () =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/recommendation", {
          params: { path: { orgId: organizationId } },
        }),
      ),
  });
}

export function usePaymentMethods() {
  const { organizationId, canPay } = usePortal();
  return useQuery({
    queryKey: keys.paymentMethods(organizationId),
    enabled: canPay,
    queryFn: () =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/payment-methods", {
          params: { path: { orgId: organizationId } },
        }),
      ),
  });
}

export function usePlans() {
  return useQuery({
    queryKey: ["catalog", "plans"],
    staleTime: 60_000,
    queryFn: () => unwrap(api.GET("/v1/plans", { params: { query: { limit: 100 } } })),
  });
}

export function useFeatures() {
  return useQuery({
    queryKey: ["catalog", "features"],
    staleTime: 60_000,
    queryFn: () => unwrap(api.GET("/v1/features", { params: { query: { limit: 100 } } })),
  });
}

export function usePacks() {
  return useQuery({
    queryKey: ["catalog", "packs"],
    staleTime: 60_000,
    queryFn: () => unwrap(api.GET("/v1/packs", { params: { query: { limit: 100 } } })),
  });
}

export function useAddons() {
  return useQuery({
    queryKey: ["catalog", "addons"],
    staleTime: 60_000,
    queryFn: () => unwrap(api.GET("/v1/addons", { params: { query: { limit: 100 } } })),
  });
}

export function useProviders() {
  return useQuery({
    queryKey: ["providers"],
    staleTime: 60_000,
    queryFn: () => unwrap(api.GET("/v1/payment-providers")),
  });
}
