import { readFileSync } from "node:fs";
import {
  Environment,
  type JWSRenewalInfoDecodedPayload,
  type JWSTransactionDecodedPayload,
  type ResponseBodyV2DecodedPayload,
  SignedDataVerifier,
} from "@apple/app-store-server-library";
import type { AppleConfig } from "../../config.ts";
import { WebhookVerificationError } from "../../payments/checkout-provider.ts";

/** A notification whose signature chain, bundle, app and environment checked out, with its parts decoded. */
export interface VerifiedAppleNotification {
  notification: ResponseBodyV2DecodedPayload;
  transaction: JWSTransactionDecodedPayload | null;
  renewalInfo: JWSRenewalInfoDecodedPayload | null;
}

/** Clock skew tolerated on a notification's `signedDate` in the future. */
const futureSkewMs = 5 * 60_000;

/**
 * Verifies App Store Server Notifications v2 with Apple's `SignedDataVerifier`: the `x5c` chain up to one of
 * the configured root certificates (with Apple's certificate extensions), the ES256 signature, the bundle
 * id, the app's Apple ID and the environment; then the signed transaction and renewal info the same way.
 * A notification signed longer ago than `notificationMaxAgeMs` (or in the future) is stale and refused.
 */
export function createAppleNotificationVerifier(config: AppleConfig) {
  const verifier = createAppleSignedDataVerifier(config);
  return async function verifyAppleNotification({
    rawBody,
    now,
  }: {
    rawBody: Buffer;
    now: Date;
  }): Promise<VerifiedAppleNotification> {
    let signedPayload: unknown;
    try {
      signedPayload = (JSON.parse(rawBody.toString("utf8")) as { signedPayload?: unknown })
        ?.signedPayload;
    } catch {
      throw new WebhookVerificationError("The body is not JSON with a signedPayload.");
    }
    if (typeof signedPayload !== "string" || signedPayload.length === 0) {
      throw new WebhookVerificationError("The body has no signedPayload.");
    }
    const notification = await verified(() => verifier.verifyAndDecodeNotification(signedPayload));
    const signedAt = notification.signedDate;
    if (signedAt === undefined)
      throw new WebhookVerificationError("The notification has no signedDate.");
    if (signedAt < now.getTime() - config.notificationMaxAgeMs) {
      throw new WebhookVerificationError(
        `The notification was signed at ${new Date(signedAt).toISOString()}, longer ago than accepted; it is stale.`,
      );
    }
    if (signedAt > now.getTime() + futureSkewMs) {
      throw new WebhookVerificationError("The notification's signedDate is in the future.");
    }
    if (!notification.notificationUUID) {
      throw new WebhookVerificationError("The notification has no notificationUUID.");
    }
    const data = notification.data;
    const transaction = data?.signedTransactionInfo
      ? await verified(() => verifier.verifyAndDecodeTransaction(data.signedTransactionInfo ?? ""))
      : null;
    const renewalInfo = data?.signedRenewalInfo
      ? await verified(() => verifier.verifyAndDecodeRenewalInfo(data.signedRenewalInfo ?? ""))
      : null;
    return { notification, transaction, renewalInfo };
  };
}

export type AppleNotificationVerifier = ReturnType<typeof createAppleNotificationVerifier>;

/** Apple's verifier for the configured roots, bundle, app and environment (Production or Sandbox only). */
export function createAppleSignedDataVerifier(config: AppleConfig): SignedDataVerifier {
  const roots = config.rootCertificatePaths.map((path) => readFileSync(path));
  const environment =
    config.environment === "Production" ? Environment.PRODUCTION : Environment.SANDBOX;
  return new SignedDataVerifier(
    roots,
    config.onlineChecks,
    environment,
    config.bundleId,
    config.appAppleId,
  );
}

async function verified<Value>(decode: () => Promise<Value>): Promise<Value> {
  try {
    return await decode();
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    throw new WebhookVerificationError(
      `Apple's signature could not be verified${status === undefined ? "" : ` (VerificationStatus ${String(status)})`}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
