import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { BillingServices } from "../billing/billing-operation.ts";
import type { Config } from "../config.ts";
import { storeSubscriptions } from "../db/schema/index.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import { defineJob } from "../jobs/job.ts";
import type { ScheduledTask } from "../jobs/scheduler.ts";
import { type AppStoreApi, createAppStoreApi } from "../providers/app-store/app-store-api.ts";
import { interpretAppleNotification } from "../providers/app-store/interpret-apple-notification.ts";
import {
  createGooglePlayApi,
  type GooglePlayApi,
} from "../providers/google-play/google-play-api.ts";
import { addDays } from "../time/index.ts";
import { applyStoreSubscription } from "./apply-store-subscription.ts";
import { revokeStorePurchase } from "./revoke-store-purchase.ts";
import { syncGoogleSubscription } from "./sync-google-subscription.ts";

type StoreSubscriptionRow = typeof storeSubscriptions.$inferSelect;

export interface StoreClients {
  apple: AppStoreApi | null;
  google: GooglePlayApi | null;
}

export function createStoreClients(config: Config): StoreClients {
  return {
    apple: config.stores.apple ? createAppStoreApi(config.stores.apple) : null,
    google: config.stores.google ? createGooglePlayApi(config.stores.google) : null,
  };
}

/** What Apple's subscription status (1–5) means, as the notification type that would have said it. */
const appleStatusNotification: Record<number, { type: string; subtype?: string }> = {
  1: { type: "RECONCILED" },
  2: { type: "EXPIRED" },
  3: { type: "DID_FAIL_TO_RENEW" },
  4: { type: "DID_FAIL_TO_RENEW", subtype: "GRACE_PERIOD" },
  5: { type: "REVOKE" },
};

export interface ReconciliationResult {
  storeSubscriptionId: string;
  store: string;
  outcome: string;
}

/**
 * Asks the store for one subscription's current state (Apple: `getAllSubscriptionStatuses`; Google:
 * `purchases.subscriptionsv2.get`) and applies it when it is newer than what Abono holds: a notification
 * that never arrived is made up for (docs/app-stores.md "Reconciliation").
 */
export async function reconcileStoreSubscription({
  services,
  clients,
  row,
  systemNow,
}: {
  services: BillingServices;
  clients: StoreClients;
  row: StoreSubscriptionRow;
  systemNow: Date;
}): Promise<ReconciliationResult> {
  const done = (outcome: string) => ({ storeSubscriptionId: row.id, store: row.store, outcome });
  try {
    if (row.store === "google_play") {
      if (!clients.google) return done("skipped: Google Play is not configured");
      const result = await syncGoogleSubscription({
        services,
        api: clients.google,
        purchaseToken: row.storeSubscriptionId,
        notice: null,
        systemNow,
      });
      return done(result.ignored ? `ignored: ${result.ignored}` : result.outcome);
    }
    if (!clients.apple) return done("skipped: no App Store Server API key is configured");
    const [latest] = (await clients.apple.subscriptionStatuses(row.storeSubscriptionId)).sort(
      (a, b) => (b.transaction.signedDate ?? 0) - (a.transaction.signedDate ?? 0),
    );
    if (!latest) return done("ignored: Apple reports no status");
    const meaning = appleStatusNotification[latest.status] ?? { type: "RECONCILED" };
    const interpreted = interpretAppleNotification({
      notificationType: meaning.type,
      subtype: meaning.subtype,
      signedDate: latest.transaction.signedDate ?? systemNow.getTime(),
      transaction: latest.transaction,
      renewalInfo: latest.renewalInfo,
    });
    if (interpreted.kind !== "subscription") return done("ignored: not a subscription");
    const result = await applyStoreSubscription({
      services,
      state: interpreted.state,
      transaction: interpreted.transaction,
      notice: null,
      systemNow,
    });
    return done(result.outcome);
  } catch (error) {
    services.logger.warn(
      {
        storeSubscriptionId: row.id,
        error: error instanceof Error ? error.message : String(error),
      },
      "store reconciliation failed",
    );
    return done(`failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Store subscriptions worth asking about: those still running, paused or awaiting payment. */
const reconciledStatuses = ["trialing", "active", "past_due", "paused"] as const;

export async function reconcileStoreSubscriptions({
  services,
  clients,
  organizationId,
  systemNow,
}: {
  services: BillingServices;
  clients: StoreClients;
  /** One organization's (all of its store subscriptions), or every running one. */
  organizationId?: string;
  systemNow: Date;
}): Promise<ReconciliationResult[]> {
  const rows = await services.db
    .select()
    .from(storeSubscriptions)
    .where(
      organizationId === undefined
        ? inArray(storeSubscriptions.status, [...reconciledStatuses])
        : and(eq(storeSubscriptions.organizationId, organizationId)),
    )
    .orderBy(storeSubscriptions.id);
  const results: ReconciliationResult[] = [];
  for (const row of rows) {
    results.push(await reconcileStoreSubscription({ services, clients, row, systemNow }));
  }
  return results;
}

/** How far back the daily reconciliation asks Google for voided purchases (Google keeps 30 days). */
export const voidedPurchasesLookbackDays = 30;

/**
 * The purchases Google voided (`purchases.voidedpurchases.list`, subscriptions included) in the last
 * `voidedPurchasesLookbackDays` days, each applied as its voided purchase notification would be
 * (`revokeStorePurchase`): a void whose notification never arrived is made up for, one already applied
 * (by its notification or an earlier run) is a `duplicate` and changes nothing.
 */
export async function reconcileVoidedPurchases({
  services,
  api,
  systemNow,
}: {
  services: BillingServices;
  api: GooglePlayApi;
  systemNow: Date;
}): Promise<{ purchaseToken: string; orderId: string | null; outcome: string }[]> {
  const voided = await api.listVoidedPurchases({
    since: addDays({ date: systemNow, days: -voidedPurchasesLookbackDays }),
  });
  const results: { purchaseToken: string; orderId: string | null; outcome: string }[] = [];
  for (const purchase of voided) {
    if (!purchase.purchaseToken) continue;
    const orderId = purchase.orderId ?? null;
    try {
      const result = await revokeStorePurchase({
        services,
        store: "google_play",
        storeSubscriptionId: purchase.purchaseToken,
        orderId,
        notice: null,
        systemNow,
      });
      results.push({ purchaseToken: purchase.purchaseToken, orderId, outcome: result.outcome });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      services.logger.warn({ orderId, error: reason }, "voided purchase reconciliation failed");
      results.push({
        purchaseToken: purchase.purchaseToken,
        orderId,
        outcome: `failed: ${reason}`,
      });
    }
  }
  return results;
}

export const storeReconciliationJob = defineJob({
  name: "stores.reconcile",
  payload: z.object({}),
  maxAttempts: 1,
  async handler({ context }) {
    if (!context.config.stores.apple && !context.config.stores.google) return;
    const clients = createStoreClients(context.config);
    const systemNow = new Date();
    const results = await reconcileStoreSubscriptions({ services: context, clients, systemNow });
    const voided = clients.google
      ? await reconcileVoidedPurchases({
          services: context,
          api: clients.google,
          systemNow,
        }).catch((error: unknown) => {
          context.logger.warn(
            { error: error instanceof Error ? error.message : String(error) },
            "Google Play voided purchases could not be listed",
          );
          return [];
        })
      : [];
    context.logger.info(
      {
        reconciled: results.length,
        failed: results.filter((r) => r.outcome.startsWith("failed")).length,
        voidedApplied: voided.filter((r) => r.outcome === "processed").length,
        voidedFailed: voided.filter((r) => r.outcome.startsWith("failed")).length,
      },
      "store subscriptions reconciled",
    );
  },
});

let lastScheduledFor: string | null = null;

/** Daily at 00:00 UTC: one job a day (its key is the day), added once per process. */
export const storeReconciliationTask: ScheduledTask = {
  name: "stores.reconcile",
  async run({ db, now, scope }) {
    if (scope.testClockId !== null) return 0;
    const today = now.toISOString().slice(0, 10);
    const next = addDays({ date: new Date(`${today}T00:00:00.000Z`), days: 1 });
    const key = `stores.reconcile:${next.toISOString().slice(0, 10)}`;
    if (lastScheduledFor === key) return 0;
    await enqueueJob(db, storeReconciliationJob, {}, { jobKey: key, runAt: next });
    lastScheduledFor = key;
    return 1;
  },
};
