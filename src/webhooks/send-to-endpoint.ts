import type { Config } from "../config.ts";
import type { EventEnvelope } from "../events/event-envelope.ts";
import { type AttemptResult, postWebhook } from "./post-webhook.ts";
import { sendSqsMessage } from "./send-sqs-message.ts";
import { destinationPolicy, signingSecrets, type WebhookEndpointRow } from "./webhook-endpoints.ts";
import { webhookHeaders } from "./webhook-signature.ts";

/**
 * Sends one event to one endpoint, signed with its secrets at `now`: a POST to a webhook, or a message to
 * an SQS queue. The body is the event's JSON; `webhook-id` is the event id, the same on every attempt.
 */
export async function sendToEndpoint({
  config,
  endpoint,
  event,
  now,
}: {
  config: Config;
  endpoint: WebhookEndpointRow;
  event: EventEnvelope;
  now: Date;
}): Promise<AttemptResult> {
  const body = JSON.stringify(event);
  const headers = webhookHeaders({
    id: event.id,
    timestamp: now,
    body,
    secrets: signingSecrets(endpoint, now),
  });
  const policy = destinationPolicy(config);
  const timeoutMs = config.webhooks.timeoutMs;
  if (endpoint.kind === "sqs") {
    return sendSqsMessage({
      queueUrl: endpoint.url,
      region: endpoint.region ?? "us-east-1",
      groupId: event.organizationId ?? "abono",
      headers,
      body,
      credentials: config.webhooks.sqsCredentials,
      timeoutMs,
      policy,
    });
  }
  return postWebhook({ url: endpoint.url, headers, body, timeoutMs, policy });
}
