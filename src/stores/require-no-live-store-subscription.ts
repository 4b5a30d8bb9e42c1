import { and, eq, inArray } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { storeSubscriptions } from "../db/schema/index.ts";
import { invalidState } from "../errors.ts";

/**
 * One live subscription per organization, across providers (docs/app-stores.md "Rules between
 * providers"): Abono cannot cancel a store subscription (only the customer can, in the store), so while
 * one is live an organization cannot subscribe or check out through Stripe, MercadoPago, PayPal or the
 * sandbox: 409 `invalid_state`.
 */
export async function requireNoLiveStoreSubscription({
  executor,
  organizationId,
}: {
  executor: Executor;
  organizationId: string;
}): Promise<void> {
  const [live] = await executor
    .select({ id: storeSubscriptions.id, store: storeSubscriptions.store })
    .from(storeSubscriptions)
    .where(
      and(
        eq(storeSubscriptions.organizationId, organizationId),
        inArray(storeSubscriptions.status, ["trialing", "active", "past_due"]),
      ),
    )
    .limit(1);
  if (live) {
    const where = live.store === "app_store" ? "the App Store" : "Google Play";
    throw invalidState(
      `Organization ${organizationId} subscribes through ${where}; cancel it there first (it then ends at its period end).`,
      { storeSubscriptionId: live.id, store: live.store },
    );
  }
}
