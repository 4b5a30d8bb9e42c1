import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import type { Store } from "../../db/schema/index.ts";
import { AbonoError } from "../../errors.ts";
import { WebhookVerificationError } from "../../payments/checkout-provider.ts";
import { completePaymentEvent, recordPaymentEvent } from "../../payments/payment-events.ts";
import { interpretAppleNotification } from "../../providers/app-store/interpret-apple-notification.ts";
import { createAppleNotificationVerifier } from "../../providers/app-store/verify-apple-notification.ts";
import { createGooglePlayApi } from "../../providers/google-play/google-play-api.ts";
import { googleSubscriptionNotificationTypes } from "../../providers/google-play/interpret-google-subscription.ts";
import { createGooglePushVerifier } from "../../providers/google-play/verify-google-push.ts";
import { applyStoreOneTimePurchase } from "../../stores/apply-store-one-time-purchase.ts";
import {
  applyStoreSubscription,
  type StoreApplyResult,
} from "../../stores/apply-store-subscription.ts";
import { reportUnlinkedPurchase } from "../../stores/report-unlinked-purchase.ts";
import { revokeStorePurchase } from "../../stores/revoke-store-purchase.ts";
import { syncGoogleProduct } from "../../stores/sync-google-product.ts";
import { syncGoogleSubscription } from "../../stores/sync-google-subscription.ts";
import type { AppDependencies, RouteModule } from "../app-types.ts";
import { billingServices } from "./subscriptions.ts";

/** What a store's notification came to: the payment event's fields and the answer's `outcome`. */
interface StoreWebhookResult {
  providerEventId: string | null;
  eventType: string | null;
  outcome: string;
  paymentId: string | null;
}

const webhookResponse = z.object({ received: z.literal(true), outcome: z.string() });

/**
 * `POST /v1/webhooks/apple` and `POST /v1/webhooks/google` (docs/app-stores.md). As for payment providers
 * (`webhooks.ts`): a rate limit per source address, a small body limit, the raw body stored in
 * `payment_events` (whole when verified, an excerpt and hash when not), a store that is not configured
 * answers 404 with nothing stored, a forged or stale request 400 `webhook_signature_invalid` with nothing
 * changed. Registered before `/v1/webhooks/:provider`, whose static paths these take over.
 */
export const storeWebhookRoutes: RouteModule = (app, dependencies) => {
  const { config } = dependencies;
  const services = billingServices(dependencies);
  const apple = config.stores.apple;
  const google = config.stores.google;
  const verifyApple = apple ? createAppleNotificationVerifier(apple) : undefined;
  const verifyGoogle = google ? createGooglePushVerifier(google) : undefined;
  const googleApi = google ? createGooglePlayApi(google) : undefined;
  const { db } = dependencies;

  const reportIfUnapplied = async (
    store: Store,
    result: StoreApplyResult,
    productId: string | null,
    id: string,
  ) => {
    if (result.outcome === "unlinked" || result.outcome === "unknown_product") {
      await reportUnlinkedPurchase({
        db,
        store,
        outcome: result.outcome,
        storeSubscriptionId: result.storeSubscriptionId,
        productId,
        dedupeKey: `store:${store}:${id}`,
      });
    }
  };

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => {
      done(null, body);
    });
    const limits = config.http.webhooks;
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

    registerStoreWebhook({
      scope,
      dependencies,
      store: "app_store",
      path: "/v1/webhooks/apple",
      summary: "Receive App Store Server Notifications v2",
      description:
        "`{signedPayload}` verified with Apple's SignedDataVerifier (certificate chain to the configured Apple roots with Apple's certificate extensions, bundle id, app Apple ID, environment); the signed transaction and renewal info likewise. A forged payload, or one signed longer ago than `ABONO_APPLE_NOTIFICATION_MAX_AGE_HOURS`, answers 400 `webhook_signature_invalid` and changes nothing. Each `notificationUUID` is applied once; an older state (by the transaction's `signedDate`) never replaces a newer one. Not configured → 404.",
      configured: verifyApple !== undefined,
      async handle({ rawBody, now, accepted }) {
        if (!verifyApple) throw new Error("App Store not configured");
        const { notification, transaction, renewalInfo } = await verifyApple({ rawBody, now });
        const eventId = await accepted();
        const notificationType = String(notification.notificationType ?? "UNKNOWN");
        const eventType = notification.subtype
          ? `${notificationType}.${String(notification.subtype)}`
          : notificationType;
        const base = { providerEventId: notification.notificationUUID ?? null, eventType };
        const meaning = interpretAppleNotification({
          notificationType,
          subtype: notification.subtype === undefined ? undefined : String(notification.subtype),
          signedDate: notification.signedDate ?? now.getTime(),
          transaction,
          renewalInfo,
        });
        if (meaning.kind === "ignored") {
          return { ...base, outcome: `ignored: ${meaning.reason}`, paymentId: null };
        }
        const notice = {
          store: "app_store" as const,
          notificationId: notification.notificationUUID ?? eventId,
          notificationType: eventType,
        };
        const result =
          meaning.kind === "subscription"
            ? await applyStoreSubscription({
                services,
                state: meaning.state,
                transaction: meaning.transaction,
                notice,
                systemNow: now,
              })
            : await applyStoreOneTimePurchase({
                db,
                purchase: meaning.purchase,
                notice,
                systemNow: now,
              });
        await reportIfUnapplied(
          "app_store",
          result,
          transaction?.productId ?? null,
          notice.notificationId,
        );
        return { ...base, outcome: result.outcome, paymentId: result.paymentId };
      },
    });

    registerStoreWebhook({
      scope,
      dependencies,
      store: "google_play",
      path: "/v1/webhooks/google",
      summary: "Receive Google Play Real-time developer notifications (Pub/Sub push)",
      description:
        "A Pub/Sub push with authentication: the `Authorization: Bearer` OIDC token is verified against `ABONO_GOOGLE_PUSH_JWKS_URL` (Google's keys), its issuer, the audience `ABONO_GOOGLE_PUSH_AUDIENCE` and the push service account `ABONO_GOOGLE_PUSH_SERVICE_ACCOUNT`; the message must be for `ABONO_GOOGLE_PACKAGE_NAME`. The subscription's truth is then fetched with `purchases.subscriptionsv2.get` and applied (a new purchase is acknowledged); a one-time product mapped to a pack (`oneTimeProductNotification` ONE_TIME_PRODUCT_PURCHASED) is fetched with `purchases.products.get`, granted once per order and consumed; a voided purchase revokes. Each Pub/Sub `messageId` is applied once. Not configured → 404.",
      configured: verifyGoogle !== undefined,
      async handle({ rawBody, headers, now, accepted }) {
        if (!verifyGoogle || !googleApi) throw new Error("Google Play not configured");
        const { messageId, notification } = await verifyGoogle({ rawBody, headers, now });
        await accepted();
        const subscription = notification.subscriptionNotification;
        const voided = notification.voidedPurchaseNotification;
        const oneTime = notification.oneTimeProductNotification;
        const eventType = subscription
          ? (googleSubscriptionNotificationTypes[subscription.notificationType ?? 0] ??
            `SUBSCRIPTION_${String(subscription.notificationType)}`)
          : voided
            ? "VOIDED_PURCHASE"
            : oneTime
              ? `ONE_TIME_PRODUCT_${String(oneTime.notificationType)}`
              : notification.testNotification
                ? "TEST"
                : "UNKNOWN";
        const base = { providerEventId: messageId, eventType };
        const notice = {
          store: "google_play" as const,
          notificationId: messageId,
          notificationType: eventType,
        };
        if (subscription?.purchaseToken) {
          const result = await syncGoogleSubscription({
            services,
            api: googleApi,
            purchaseToken: subscription.purchaseToken,
            notice,
            revoked: subscription.notificationType === 12,
            systemNow: now,
          });
          if (result.ignored)
            return { ...base, outcome: `ignored: ${result.ignored}`, paymentId: null };
          await reportIfUnapplied(
            "google_play",
            result,
            subscription.subscriptionId ?? null,
            messageId,
          );
          return { ...base, outcome: result.outcome, paymentId: result.paymentId };
        }
        if (voided?.purchaseToken) {
          const result = await revokeStorePurchase({
            services,
            store: "google_play",
            storeSubscriptionId: voided.purchaseToken,
            orderId: voided.orderId ?? null,
            productType: voided.productType ?? undefined,
            notice,
            systemNow: now,
          });
          return { ...base, outcome: result.outcome, paymentId: result.paymentId };
        }
        if (oneTime?.purchaseToken && oneTime.sku && oneTime.notificationType === 1) {
          const result = await syncGoogleProduct({
            db,
            api: googleApi,
            productId: oneTime.sku,
            purchaseToken: oneTime.purchaseToken,
            notice,
            systemNow: now,
          });
          if (result.ignored)
            return { ...base, outcome: `ignored: ${result.ignored}`, paymentId: null };
          await reportIfUnapplied("google_play", result, oneTime.sku, messageId);
          return { ...base, outcome: result.outcome, paymentId: result.paymentId };
        }
        return { ...base, outcome: `ignored: a ${eventType} notification`, paymentId: null };
      },
    });
  });
};

/** One store's webhook: verification, the payment event on record, then `handle`'s outcome. */
function registerStoreWebhook({
  scope,
  dependencies,
  store,
  path,
  summary,
  description,
  configured,
  handle,
}: {
  scope: FastifyInstance;
  dependencies: AppDependencies;
  store: Store;
  path: string;
  summary: string;
  description: string;
  configured: boolean;
  handle(input: {
    rawBody: Buffer;
    headers: Record<string, string | undefined>;
    now: Date;
    /** Stores the verified request; call once verification passed. Returns the payment event's id. */
    accepted(): Promise<string>;
  }): Promise<StoreWebhookResult>;
}) {
  const { db, clock, logger } = dependencies;
  scope.withTypeProvider<ZodTypeProvider>().post(
    path,
    {
      bodyLimit: dependencies.config.http.webhooks.bodyLimitBytes,
      config: {
        access: access.public,
        errors: ["webhook_signature_invalid", "rate_limited", "not_found", "provider_error"],
      },
      schema: {
        tags: ["payments", "app stores"],
        summary,
        description,
        response: { 200: webhookResponse },
      },
    },
    async (request) => {
      const now = clock();
      const name = path.slice(path.lastIndexOf("/") + 1);
      if (!configured) {
        throw new AbonoError(
          "not_found",
          `Webhooks from ${name} are not accepted here: ${name} is not configured on this service (docs/app-stores.md). Nothing was stored.`,
          { provider: store },
        );
      }
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name.toLowerCase(),
          Array.isArray(value) ? value.join(",") : value,
        ]),
      );
      const received = { db, provider: store, headers, query: {}, body: rawBody, now };
      let eventId: string | null = null;
      const accepted = async () => {
        eventId = await recordPaymentEvent(received);
        return eventId;
      };
      try {
        const result = await handle({ rawBody, headers, now, accepted });
        if (eventId) {
          await completePaymentEvent({
            db,
            id: eventId,
            result: { verified: true, ...result },
            now,
          });
        }
        return { received: true as const, outcome: result.outcome };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (eventId === null) {
          const rejected = error instanceof WebhookVerificationError;
          const paymentEventId = await recordPaymentEvent({
            ...received,
            rejection: {
              verificationError: reason,
              outcome: rejected ? "rejected" : `failed: ${reason}`,
            },
          });
          if (!rejected) throw error;
          logger.warn({ provider: store, paymentEventId, reason }, "webhook rejected");
          throw new AbonoError("webhook_signature_invalid", reason, { paymentEventId });
        }
        // Not acknowledged: the store delivers the notification again later.
        await completePaymentEvent({
          db,
          id: eventId,
          result: { verified: true, outcome: `failed: ${reason}` },
          now,
        });
        if (error instanceof AbonoError) throw error;
        throw new AbonoError("provider_error", `${store} could not be confirmed: ${reason}`, {
          paymentEventId: eventId,
        });
      }
    },
  );
}
