import { useSyncExternalStore } from "react";
import type { EntitlementSnapshot } from "./entitlement-store.js";
import { type FeatureState, featureState } from "./feature-state.js";
import { useAbono } from "./provider.js";
import type { Entitlement } from "./types.js";

const noOrganization: EntitlementSnapshot = { data: undefined, error: null, loading: false };
const noSubscription = () => () => {};

export interface EntitlementsResult {
  data: Entitlement | undefined;
  loading: boolean;
  error: unknown;
  refresh(): Promise<void>;
}

/** The provider's organization's whole effective entitlement (plan, flags, limits, usage, balances). */
export function useEntitlements(): EntitlementsResult {
  const { entitlements } = useAbono();
  const snapshot = useSyncExternalStore(
    entitlements?.subscribe ?? noSubscription,
    entitlements?.getSnapshot ?? (() => noOrganization),
    () => noOrganization,
  );
  return {
    data: snapshot.data,
    loading: snapshot.loading && snapshot.data === undefined,
    error: snapshot.error,
    refresh: entitlements?.refresh ?? (async () => {}),
  };
}

export interface EntitlementResult extends FeatureState {
  /** True until the first answer (a refetch keeps the previous values). */
  loading: boolean;
  /** The last fetch's failure (an `AbonoError`), or null. */
  error: unknown;
  refresh(): Promise<void>;
}

/**
 * What the provider's organization may do with `featureKey`: `{allowed, limit, used, remaining, unlimited}`.
 * Not allowed while loading or after a failure without earlier data.
 */
export function useEntitlement(featureKey: string): EntitlementResult {
  const { data, loading, error, refresh } = useEntitlements();
  const state = data
    ? featureState(data, featureKey)
    : { allowed: false, limit: null, used: 0, remaining: null, unlimited: false, counted: false };
  return { ...state, loading, error, refresh };
}
