import http from "node:http";
import https from "node:https";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  type DestinationPolicy,
  guardedLookup,
  hostOf,
  refuseUrlForm,
} from "./destination-policy.ts";
import type { AttemptResult } from "./post-webhook.ts";

export interface SqsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const clients = new Map<string, SQSClient>();

function clientFor({
  region,
  origin,
  host,
  credentials,
  timeoutMs,
  policy,
}: {
  region: string;
  /** The queue URL's origin: the endpoint the client talks to. */
  origin: string;
  host: string;
  credentials: SqsCredentials | undefined;
  timeoutMs: number;
  policy: DestinationPolicy;
}): SQSClient {
  const key = JSON.stringify([region, origin, credentials?.accessKeyId ?? null, timeoutMs]);
  let client = clients.get(key);
  if (!client) {
    const lookup = guardedLookup(policy, host);
    client = new SQSClient({
      region,
      endpoint: origin,
      ...(credentials ? { credentials } : {}),
      // Abono retries on its own schedule; the SDK makes one attempt.
      maxAttempts: 1,
      // The SDK's Node handler, with agents that connect only where the destination policy allows.
      requestHandler: {
        connectionTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        httpAgent: new http.Agent({ lookup } as http.AgentOptions),
        httpsAgent: new https.Agent({ lookup } as https.AgentOptions),
      },
    });
    clients.set(key, client);
  }
  return client;
}

/**
 * Sends one event to an Amazon SQS queue with the official SDK (the queue URL's host is the endpoint it
 * talks to). A FIFO queue (`….fifo`) gets the organization as message group, so each organization's
 * events stay in order, and the event id as deduplication id. The Standard Webhooks headers travel as
 * message attributes, so a consumer can verify the body as a webhook receiver would.
 */
export async function sendSqsMessage({
  queueUrl,
  region,
  groupId,
  headers,
  body,
  credentials,
  timeoutMs,
  policy,
}: {
  queueUrl: string;
  region: string;
  groupId: string;
  headers: Record<string, string>;
  body: string;
  credentials: SqsCredentials | undefined;
  timeoutMs: number;
  policy: DestinationPolicy;
}): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(queueUrl);
  const refused = refuseUrlForm(url, policy);
  if (refused) {
    return { statusCode: null, excerpt: null, error: `The queue URL ${refused}.`, durationMs: 0 };
  }
  const fifo = url.pathname.endsWith(".fifo");
  const client = clientFor({
    region,
    origin: url.origin,
    host: hostOf(url),
    credentials,
    timeoutMs,
    policy,
  });
  try {
    const result = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        ...(fifo ? { MessageGroupId: groupId, MessageDeduplicationId: headers["webhook-id"] } : {}),
        MessageAttributes: Object.fromEntries(
          Object.entries(headers).map(([name, value]) => [
            name,
            { DataType: "String", StringValue: value },
          ]),
        ),
      }),
      { abortSignal: AbortSignal.timeout(timeoutMs) },
    );
    return {
      statusCode: result.$metadata.httpStatusCode ?? 200,
      excerpt: result.MessageId ?? null,
      error: null,
      durationMs: elapsed(),
    };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return {
      statusCode: status ?? null,
      excerpt: null,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      durationMs: elapsed(),
    };
  }
}
