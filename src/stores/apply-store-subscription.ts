import { and, eq, inArray, ne } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { BillingServices } from "../billing/billing-operation.ts";
import type { Transaction } from "../db/database.ts";
import {
  organizationEntitlements,
  payments,
  plans,
  storeNotifications,
  storeSubscriptions,
} from "../db/schema/index.ts";
import { publishEvent } from "../events/publish-event.ts";
import { newId } from "../ids.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import { writeProviderTrace } from "../payments/provider-trace.ts";
import { cancelSubscription } from "../subscriptions/cancel-subscription.ts";
import {
  fallBackToFreePlan,
  findLiveSubscription,
  setEntitlement,
} from "../subscriptions/subscription-records.ts";
import { keepEarlierTransaction, recordEarlierTransactions } from "./earlier-store-transactions.ts";
import { organizationOfAccountToken } from "./store-account-tokens.ts";
import { findStoreProduct } from "./store-products.ts";
import {
  liveStoreStatuses,
  type StoreNotice,
  type StoreSubscriptionState,
  type StoreTransaction,
} from "./store-state.ts";

export type StoreOutcome =
  | "processed"
  | "duplicate"
  | "stale_state"
  | "unlinked"
  | "unknown_product";

export interface StoreApplyResult {
  outcome: StoreOutcome;
  storeSubscriptionId: string | null;
  organizationId: string | null;
  paymentId: string | null;
}

/**
 * Applies what a store said about one subscription (docs/app-stores.md): once per notification, in one
 * transaction under the organization's lock. The subscription's state is replaced only by a state the
 * store signed later (out-of-order notifications); its transaction is recorded as a payment (the store is
 * the merchant of record: no invoice); a linked organization's entitlement follows a product mapped to a
 * plan, with an audit entry, the provider trace `billingProviders.<store>` and the events.
 *
 * A purchase that cannot be tied to an organization is kept with no organization, reported to operators
 * and applied once root links it. A store purchase wins over a live Stripe/MercadoPago/PayPal
 * subscription: that one is canceled now, its unused time credited to the balance.
 */
export async function applyStoreSubscription({
  services,
  state,
  transaction,
  notice,
  systemNow,
}: {
  services: BillingServices;
  state: StoreSubscriptionState;
  transaction: StoreTransaction | null;
  notice: StoreNotice | null;
  systemNow: Date;
}): Promise<StoreApplyResult> {
  const { db } = services;
  if (notice) {
    const [seen] = await db
      .select()
      .from(storeNotifications)
      .where(
        and(
          eq(storeNotifications.store, notice.store),
          eq(storeNotifications.notificationId, notice.notificationId),
        ),
      );
    if (seen) return duplicate();
  }
  const [existing] = await db
    .select()
    .from(storeSubscriptions)
    .where(
      and(
        eq(storeSubscriptions.store, state.store),
        eq(storeSubscriptions.storeSubscriptionId, state.storeSubscriptionId),
      ),
    );
  const organizationId =
    existing?.organizationId ??
    (state.accountToken
      ? await organizationOfAccountToken({ executor: db, token: state.accountToken })
      : null);
  const product = await findStoreProduct({
    executor: db,
    store: state.store,
    productId: state.productId,
    basePlanId: state.basePlanId,
  });
  const planId = product?.kind === "plan" ? product.targetId : null;

  // The policy between providers: the store purchase wins, the other subscription ends now (it runs its
  // own operation: settlement of what is owed, credit for unused time, events, audit).
  if (organizationId && planId && liveStoreStatuses.has(state.status)) {
    const live = await findLiveSubscription({ executor: db, organizationId });
    if (live) {
      await cancelSubscription({
        services,
        organizationId,
        atPeriodEnd: false,
        creditUnusedTime: true,
        actor: `system:${state.store}`,
        systemNow,
      });
    }
  }

  return db.transaction(async (tx) => {
    let now = systemNow;
    if (organizationId) ({ now } = await lockOrganization({ tx, organizationId, systemNow }));
    if (notice) {
      const [claimed] = await tx
        .insert(storeNotifications)
        .values({
          store: notice.store,
          notificationId: notice.notificationId,
          notificationType: notice.notificationType,
          storeSubscriptionId: state.storeSubscriptionId,
          outcome: "claimed",
          receivedAt: systemNow,
        })
        .onConflictDoNothing()
        .returning();
      if (!claimed) return duplicate();
    }
    const [current] = await tx
      .select()
      .from(storeSubscriptions)
      .where(
        and(
          eq(storeSubscriptions.store, state.store),
          eq(storeSubscriptions.storeSubscriptionId, state.storeSubscriptionId),
        ),
      )
      .for("update");
    const stale = current !== undefined && current.storeStateAt > state.stateAt;
    const pending = await pendingChange({ tx, state, current });
    const values = {
      organizationId: current?.organizationId ?? organizationId,
      accountToken: state.accountToken ?? current?.accountToken ?? null,
      productId: state.productId,
      basePlanId: state.basePlanId,
      planId,
      status: state.status,
      autoRenew: state.autoRenew,
      currentPeriodStart: state.currentPeriodStart,
      expiresAt: state.expiresAt,
      trialEndsAt: state.trialEndsAt,
      graceEndsAt: state.graceEndsAt,
      environment: state.environment,
      storeStateAt: state.stateAt,
      data: {
        ...state.data,
        ...pending,
        ...(current?.data.earlierTransactions
          ? { earlierTransactions: current.data.earlierTransactions }
          : {}),
      },
      updatedAt: systemNow,
    };
    let row = current;
    if (!current) {
      [row] = await tx
        .insert(storeSubscriptions)
        .values({
          id: newId("ssub", systemNow.getTime()),
          store: state.store,
          storeSubscriptionId: state.storeSubscriptionId,
          ...values,
          createdAt: systemNow,
        })
        .returning();
    } else if (!stale) {
      [row] = await tx
        .update(storeSubscriptions)
        .set(values)
        .where(eq(storeSubscriptions.id, current.id))
        .returning();
    }
    if (!row) throw new Error("the store subscription was not written");

    // Transactions charged before the subscription was tied to an organization are kept until it is.
    if (row.organizationId) await recordEarlierTransactions({ tx, row, now });
    else if (transaction) await keepEarlierTransaction({ tx, row, transaction });
    const paymentId =
      transaction && row.organizationId
        ? (
            await recordStoreTransaction({
              tx,
              organizationId: row.organizationId,
              store: state.store,
              transaction,
              now,
            })
          ).id
        : null;

    let outcome: StoreOutcome = stale ? "stale_state" : "processed";
    if (!row.organizationId) outcome = "unlinked";
    else if (!row.planId) outcome = "unknown_product";
    else if (!stale) {
      await applyEntitlement({
        tx,
        services,
        subscription: row,
        notificationType: notice?.notificationType ?? "reconciliation",
        now,
      });
    }
    const pendingBefore = (current?.data.pendingPlanId as string | null | undefined) ?? null;
    if (row.organizationId && !stale && pending.pendingPlanId !== pendingBefore) {
      await recordAudit({
        executor: tx,
        entry: {
          action: "store.plan_change_pending",
          actor: `system:${state.store}`,
          organizationId: row.organizationId,
          before: { pendingPlanId: pendingBefore },
          after: {
            pendingPlanId: pending.pendingPlanId,
            pendingProductId: pending.pendingProductId,
          },
          metadata: {
            provider: state.store,
            storeSubscriptionId: row.id,
            planId: row.planId,
            effectiveAt: row.expiresAt?.toISOString() ?? null,
            notificationType: notice?.notificationType ?? "reconciliation",
          },
        },
        now,
      });
    }
    if (row.organizationId) {
      await publishEvent({
        executor: tx,
        type: "store_subscription.updated",
        organizationId: row.organizationId,
        data: {
          storeSubscriptionId: row.id,
          store: row.store,
          productId: row.productId,
          planId: row.planId,
          status: row.status,
          previousStatus: current?.status ?? null,
          autoRenew: row.autoRenew,
          expiresAt: row.expiresAt,
          graceEndsAt: row.graceEndsAt,
          pendingPlanId: (row.data.pendingPlanId as string | null | undefined) ?? null,
          notificationType: notice?.notificationType ?? "reconciliation",
          payment:
            paymentId && transaction
              ? {
                  paymentId,
                  amount: transaction.amount,
                  currency: transaction.currency,
                  status: transaction.refunded ? "refunded" : "succeeded",
                }
              : null,
        },
        now,
      });
    }
    if (notice) {
      await tx
        .update(storeNotifications)
        .set({ outcome })
        .where(
          and(
            eq(storeNotifications.store, notice.store),
            eq(storeNotifications.notificationId, notice.notificationId),
          ),
        );
    }
    return {
      outcome,
      storeSubscriptionId: row.id,
      organizationId: row.organizationId,
      paymentId,
    };
  });
}

/**
 * The plan change waiting for the next renewal: the store's pending product (or, when it did not say, the
 * one already recorded), cleared once the subscription is on it; its plan when it maps to one.
 */
async function pendingChange({
  tx,
  state,
  current,
}: {
  tx: Transaction;
  state: StoreSubscriptionState;
  current: typeof storeSubscriptions.$inferSelect | undefined;
}): Promise<{ pendingProductId: string | null; pendingPlanId: string | null }> {
  const said =
    state.pendingProductId === undefined
      ? ((current?.data.pendingProductId as string | null | undefined) ?? null)
      : state.pendingProductId;
  const pendingProductId =
    said !== null && said !== state.productId && liveStoreStatuses.has(state.status) ? said : null;
  if (pendingProductId === null) return { pendingProductId: null, pendingPlanId: null };
  const product = await findStoreProduct({
    executor: tx,
    store: state.store,
    productId: pendingProductId,
    basePlanId: "",
  });
  return {
    pendingProductId,
    pendingPlanId: product?.kind === "plan" ? product.targetId : null,
  };
}

function duplicate(): StoreApplyResult {
  return { outcome: "duplicate", storeSubscriptionId: null, organizationId: null, paymentId: null };
}

/**
 * Points the organization's entitlement at the store subscription's plan while it is live, back to the
 * free plan when it ends (only when the store was what entitled it).
 */
export async function applyEntitlement({
  tx,
  services,
  subscription,
  notificationType,
  now,
}: {
  tx: Transaction;
  services: BillingServices;
  subscription: typeof storeSubscriptions.$inferSelect;
  notificationType: string;
  now: Date;
}): Promise<void> {
  const organizationId = subscription.organizationId;
  const planId = subscription.planId;
  if (!organizationId || !planId) return;
  const [before] = await tx
    .select()
    .from(organizationEntitlements)
    .where(eq(organizationEntitlements.organizationId, organizationId));
  if (liveStoreStatuses.has(subscription.status)) {
    const [plan] = await tx.select().from(plans).where(eq(plans.id, planId));
    const status = subscription.status as "trialing" | "active" | "past_due";
    await setEntitlement({
      executor: tx,
      organizationId,
      planId,
      planVersion: plan?.currentVersion ?? null,
      status,
      trialEndsAt: status === "trialing" ? subscription.trialEndsAt : null,
      graceEndsAt: status === "past_due" ? subscription.graceEndsAt : null,
      source: "store",
      now,
    });
  } else if (
    before?.source === "store" &&
    !(await otherLiveStoreSubscription({ tx, organizationId, exceptId: subscription.id }))
  ) {
    await fallBackToFreePlan({
      executor: tx,
      organizationId,
      freePlanId: services.config.freePlanId,
      now,
    });
  }
  const [after] = await tx
    .select()
    .from(organizationEntitlements)
    .where(eq(organizationEntitlements.organizationId, organizationId));
  const actor = `system:${subscription.store}`;
  await recordAudit({
    executor: tx,
    entry: {
      action: "store.subscription_updated",
      actor,
      organizationId,
      before: before ? entitlementSnapshot(before) : null,
      after: after ? entitlementSnapshot(after) : null,
      metadata: {
        provider: subscription.store,
        storeSubscriptionId: subscription.id,
        productId: subscription.productId,
        status: subscription.status,
        notificationType,
      },
    },
    now,
  });
  await writeProviderTrace({
    executor: tx,
    organizationId,
    provider: subscription.store,
    data: {
      storeSubscriptionId: subscription.id,
      originalId: subscription.storeSubscriptionId,
      productId: subscription.productId,
      planId,
      status: subscription.status,
      autoRenew: subscription.autoRenew,
      expiresAt: subscription.expiresAt?.toISOString() ?? null,
      environment: subscription.environment,
      lastNotificationType: notificationType,
      lastChangeAt: now.toISOString(),
    },
    now,
  });
}

/** Another of the organization's store subscriptions still entitles it (the one that ended is older). */
async function otherLiveStoreSubscription({
  tx,
  organizationId,
  exceptId,
}: {
  tx: Transaction;
  organizationId: string;
  exceptId: string;
}): Promise<boolean> {
  const [other] = await tx
    .select({ id: storeSubscriptions.id })
    .from(storeSubscriptions)
    .where(
      and(
        eq(storeSubscriptions.organizationId, organizationId),
        ne(storeSubscriptions.id, exceptId),
        inArray(storeSubscriptions.status, ["trialing", "active", "past_due"]),
      ),
    )
    .limit(1);
  return other !== undefined;
}

function entitlementSnapshot(entitlement: typeof organizationEntitlements.$inferSelect) {
  return {
    planId: entitlement.planId,
    planVersion: entitlement.planVersion,
    status: entitlement.status,
    trialEndsAt: entitlement.trialEndsAt,
    graceEndsAt: entitlement.graceEndsAt,
    source: entitlement.source,
  };
}

/**
 * Records a store transaction as a payment (provider `app_store` or `google_play`, no invoice), once per
 * transaction id, publishing `payment.succeeded` (and `payment.refunded` when the store refunds it) in the
 * same transaction; a refund marks it refunded. `created` says whether this call recorded it (a repeated
 * or parallel delivery of the same transaction finds it recorded); `refundedNow` whether this call marked it
 * refunded (a refund already recorded is not told twice).
 */
export async function recordStoreTransaction({
  tx,
  organizationId,
  store,
  transaction,
  now,
}: {
  tx: Transaction;
  organizationId: string;
  store: string;
  transaction: StoreTransaction;
  now: Date;
}): Promise<{ id: string; created: boolean; refundedNow: boolean }> {
  const [inserted] = await tx
    .insert(payments)
    .values({
      id: newId("pay", now.getTime()),
      organizationId,
      invoiceId: null,
      provider: store,
      providerPaymentId: transaction.transactionId,
      amount: transaction.amount,
      currency: transaction.currency,
      status: "succeeded",
      amountRefunded: 0n,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted) {
    await recordAudit({
      executor: tx,
      entry: {
        action: "payment.succeeded",
        actor: `system:${store}`,
        organizationId,
        after: {
          paymentId: inserted.id,
          provider: store,
          providerPaymentId: transaction.transactionId,
          amount: transaction.amount,
          currency: transaction.currency,
        },
        metadata: { merchantOfRecord: store },
      },
      now,
    });
    await publishEvent({
      executor: tx,
      type: "payment.succeeded",
      organizationId,
      data: {
        paymentId: inserted.id,
        invoiceId: null,
        amount: transaction.amount,
        currency: transaction.currency,
        provider: store,
      },
      now,
    });
  }
  const [existing] = inserted
    ? [inserted]
    : await tx
        .select()
        .from(payments)
        .where(
          and(
            eq(payments.provider, store),
            eq(payments.providerPaymentId, transaction.transactionId),
          ),
        )
        .for("update");
  if (!existing) throw new Error("the store payment vanished");
  const refundedNow = transaction.refunded && existing.status !== "refunded";
  if (refundedNow) {
    await tx
      .update(payments)
      .set({ status: "refunded", amountRefunded: existing.amount })
      .where(eq(payments.id, existing.id));
    await recordAudit({
      executor: tx,
      entry: {
        action: "payment.refunded",
        actor: `system:${store}`,
        organizationId,
        before: { status: existing.status },
        after: { status: "refunded", amountRefunded: existing.amount },
        metadata: { paymentId: existing.id, merchantOfRecord: store },
      },
      now,
    });
    await publishEvent({
      executor: tx,
      type: "payment.refunded",
      organizationId,
      data: {
        paymentId: existing.id,
        invoiceId: null,
        refunded: existing.amount - existing.amountRefunded,
        amountRefunded: existing.amount,
        currency: existing.currency,
      },
      now,
    });
  }
  return { id: existing.id, created: inserted !== undefined, refundedNow };
}
