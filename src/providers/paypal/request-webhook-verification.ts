import { z } from "zod";
import { providerRequestTimeoutMs } from "../../payments/provider-timeouts.ts";
import type { PayPalClient } from "./create-paypal-client.ts";
import { PayPalApiError } from "./paypal-api-error.ts";

const responseSchema = z.object({ verification_status: z.string() });

/**
 * `POST /v1/notifications/verify-webhook-signature`, which the server SDK has no controller for: plain
 * `fetch` on the SDK's origin with the SDK's cached client-credentials token. Returns PayPal's
 * `verification_status` (`SUCCESS` or `FAILURE`); a failed call throws `PayPalApiError`.
 */
export async function requestWebhookVerification({
  client,
  body,
}: {
  client: Pick<PayPalClient, "origin" | "accessToken">;
  body: string;
}): Promise<string> {
  const url = `${client.origin}/v1/notifications/verify-webhook-signature`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await client.accessToken()}`,
        "content-type": "application/json",
        accept: "application/json",
      },
      body,
      signal: AbortSignal.timeout(providerRequestTimeoutMs),
    });
    text = await response.text();
  } catch (error) {
    throw PayPalApiError.from({ error, operation: "webhook signature verification" });
  }
  if (!response.ok) {
    throw new PayPalApiError({
      message: `PayPal webhook signature verification failed with HTTP ${response.status}: ${text.slice(0, 500)}`,
      statusCode: response.status,
    });
  }
  const parsed = responseSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new PayPalApiError({
      message: `PayPal webhook signature verification answered without a verification_status: ${text.slice(0, 500)}`,
      statusCode: response.status,
    });
  }
  return parsed.data.verification_status;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
