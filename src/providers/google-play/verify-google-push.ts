import { createRemoteJWKSet, jwtVerify } from "jose";
import type { GoogleConfig } from "../../config.ts";
import { WebhookVerificationError } from "../../payments/checkout-provider.ts";

/** A Real-time developer notification, decoded from the Pub/Sub message. */
export interface GoogleDeveloperNotification {
  version?: string;
  packageName?: string;
  eventTimeMillis?: string;
  subscriptionNotification?: {
    notificationType?: number;
    purchaseToken?: string;
    subscriptionId?: string;
  };
  oneTimeProductNotification?: { notificationType?: number; purchaseToken?: string; sku?: string };
  voidedPurchaseNotification?: {
    purchaseToken?: string;
    orderId?: string;
    productType?: number;
    refundType?: number;
  };
  testNotification?: { version?: string };
}

export interface VerifiedGooglePush {
  messageId: string;
  notification: GoogleDeveloperNotification;
}

/**
 * Authenticates a Pub/Sub push (docs/app-stores.md "Google Play"): the `Authorization: Bearer` OIDC token
 * must be signed by a key of the configured JWKS (Google's by default), issued by Google, for the
 * configured audience, for the push subscription's service account with a verified email. Then the
 * message is decoded and must be for the configured package.
 */
export function createGooglePushVerifier(config: GoogleConfig) {
  const keys = createRemoteJWKSet(new URL(config.pushJwksUrl));
  const issuers =
    config.pushIssuer === "https://accounts.google.com"
      ? ["https://accounts.google.com", "accounts.google.com"]
      : [config.pushIssuer];
  return async function verifyGooglePush({
    rawBody,
    headers,
    now,
  }: {
    rawBody: Buffer;
    headers: Record<string, string | undefined>;
    now: Date;
  }): Promise<VerifiedGooglePush> {
    const authorization = headers.authorization ?? "";
    const token = /^Bearer (.+)$/i.exec(authorization)?.[1];
    if (!token) throw new WebhookVerificationError("The push has no Authorization: Bearer token.");
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: issuers,
        audience: config.pushAudience,
        currentDate: now,
        clockTolerance: 60,
      }));
    } catch (error) {
      throw new WebhookVerificationError(
        `The push's token could not be verified: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (claims.email !== config.pushServiceAccount || claims.email_verified !== true) {
      throw new WebhookVerificationError(
        "The push's token is not for the configured service account (email, email_verified).",
      );
    }
    let body: { message?: { data?: unknown; messageId?: unknown; message_id?: unknown } };
    try {
      body = JSON.parse(rawBody.toString("utf8"));
    } catch {
      throw new WebhookVerificationError("The push body is not JSON.");
    }
    const message = body?.message;
    const messageId = message?.messageId ?? message?.message_id;
    if (typeof messageId !== "string" || typeof message?.data !== "string") {
      throw new WebhookVerificationError("The push has no message with data and messageId.");
    }
    let notification: GoogleDeveloperNotification;
    try {
      notification = JSON.parse(Buffer.from(message.data, "base64").toString("utf8"));
    } catch {
      throw new WebhookVerificationError(
        "The push message's data is not a developer notification.",
      );
    }
    if (notification.packageName !== config.packageName) {
      throw new WebhookVerificationError(
        `The notification is for package ${String(notification.packageName)}, not ${config.packageName}.`,
      );
    }
    return { messageId, notification };
  };
}

export type GooglePushVerifier = ReturnType<typeof createGooglePushVerifier>;
