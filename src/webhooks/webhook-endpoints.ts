import { and, desc, eq, lt } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import type { Config } from "../config.ts";
import type { Database, Executor } from "../db/database.ts";
import { type WebhookEndpointKind, webhookEndpoints } from "../db/schema/index.ts";
import { invalidEntry, invalidState, notFound } from "../errors.ts";
import { isEventType } from "../events/event-catalog.ts";
import { newId } from "../ids.ts";
import { type DestinationPolicy, refuseDestination } from "./destination-policy.ts";
import { kickStreams } from "./stream-jobs.ts";
import { newWebhookSecret } from "./webhook-signature.ts";

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

/** After a rotation, the previous secret keeps signing alongside the new one for this long. */
export const previousSecretLifetimeMs = 24 * 60 * 60 * 1000;

/** An endpoint as the API shows it: never its secrets. */
export interface WebhookEndpointView {
  id: string;
  kind: WebhookEndpointKind;
  url: string | null;
  queueUrl: string | null;
  region: string | null;
  events: string[];
  description: string | null;
  status: "enabled" | "disabled";
  disabledReason: string | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toEndpointView(row: WebhookEndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    kind: row.kind,
    url: row.kind === "webhook" ? row.url : null,
    queueUrl: row.kind === "sqs" ? row.url : null,
    region: row.region,
    events: row.eventTypes,
    description: row.description,
    status: row.status,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt,
    failingSince: row.failingSince,
    previousSecretExpiresAt:
      row.previousSecretExpiresAt && row.previousSecret ? row.previousSecretExpiresAt : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export type EndpointDestination =
  | { kind: "webhook"; url: string }
  | { kind: "sqs"; queueUrl: string; region: string };

export function destinationPolicy(config: Config): DestinationPolicy {
  return {
    allowPrivateUrls: config.webhooks.allowPrivateUrls,
    allowedHosts: config.webhooks.allowedHosts,
  };
}

/** The problems of a destination and an event list, as `invalidEntry` lists them. */
async function destinationProblems({
  destination,
  events,
  policy,
}: {
  destination: EndpointDestination | undefined;
  events: readonly string[] | undefined;
  policy: DestinationPolicy;
}): Promise<string[]> {
  const problems: string[] = [];
  if (destination) {
    const field = destination.kind === "webhook" ? "url" : "queueUrl";
    const raw = destination.kind === "webhook" ? destination.url : destination.queueUrl;
    let url: URL | null = null;
    try {
      url = new URL(raw);
    } catch {
      problems.push(`${field}: is not a URL`);
    }
    if (url) {
      const refused = await refuseDestination({ url, policy });
      if (refused) problems.push(`${field}: ${refused}`);
      if (destination.kind === "sqs" && !/^\/\d{12}\/[\w-]{1,75}(\.fifo)?$/.test(url.pathname)) {
        problems.push(
          "queueUrl: must be an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/subscription.fifo",
        );
      }
    }
  }
  if (events) {
    const unknown = events.filter((type) => type !== "*" && !isEventType(type));
    if (unknown.length > 0) {
      problems.push(
        `events: ${unknown.map((type) => JSON.stringify(type)).join(", ")} ${unknown.length === 1 ? "is not an event type" : "are not event types"}; see GET /v1/events/types or docs/events.md`,
      );
    }
    if (events.includes("*") && events.length > 1) {
      problems.push('events: "*" (every type) stands alone');
    }
  }
  return problems;
}

export async function createWebhookEndpoint({
  db,
  config,
  input,
  actor,
  now,
}: {
  db: Database;
  config: Config;
  input: { destination: EndpointDestination; events: string[]; description: string | null };
  actor: string;
  now: Date;
}): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const problems = await destinationProblems({
    destination: input.destination,
    events: input.events,
    policy: destinationPolicy(config),
  });
  if (problems.length > 0) throw invalidEntry("The webhook endpoint", problems);
  const secret = newWebhookSecret();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        id: newId("whe", now.getTime()),
        kind: input.destination.kind,
        url:
          input.destination.kind === "webhook" ? input.destination.url : input.destination.queueUrl,
        region: input.destination.kind === "sqs" ? input.destination.region : null,
        eventTypes: [...new Set(input.events)],
        description: input.description,
        status: "enabled",
        secret,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    if (!row) throw new Error("webhook endpoint insert returned no row");
    const endpoint = toEndpointView(row);
    await recordAudit({
      executor: tx,
      entry: { action: "webhook_endpoint.created", actor, organizationId: null, after: endpoint },
      now,
    });
    return { endpoint, secret };
  });
}

export async function getWebhookEndpointRow({
  executor,
  endpointId,
  forUpdate = false,
}: {
  executor: Executor;
  endpointId: string;
  forUpdate?: boolean;
}): Promise<WebhookEndpointRow> {
  const query = executor.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
  const [row] = forUpdate ? await query.for("update") : await query;
  if (!row) throw notFound("Webhook endpoint", endpointId);
  return row;
}

export async function listWebhookEndpoints({
  db,
  limit,
  cursor,
}: {
  db: Database;
  limit: number;
  cursor: string | undefined;
}): Promise<WebhookEndpointView[]> {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(cursor === undefined ? undefined : lt(webhookEndpoints.id, cursor))
    .orderBy(desc(webhookEndpoints.id))
    .limit(limit);
  return rows.map(toEndpointView);
}

/** Changes an endpoint's destination, event types or description (its kind stays). */
export async function updateWebhookEndpoint({
  db,
  config,
  endpointId,
  changes,
  actor,
  now,
}: {
  db: Database;
  config: Config;
  endpointId: string;
  changes: {
    url?: string | undefined;
    queueUrl?: string | undefined;
    region?: string | undefined;
    events?: string[] | undefined;
    description?: string | null | undefined;
  };
  actor: string;
  now: Date;
}): Promise<WebhookEndpointView> {
  const current = await getWebhookEndpointRow({ executor: db, endpointId });
  const problems: string[] = [];
  if (current.kind === "webhook" && (changes.queueUrl ?? changes.region) !== undefined) {
    problems.push("queueUrl, region: this endpoint is a webhook; change its url instead");
  }
  if (current.kind === "sqs" && changes.url !== undefined) {
    problems.push("url: this endpoint is an SQS queue; change its queueUrl instead");
  }
  const destination: EndpointDestination | undefined =
    current.kind === "webhook"
      ? changes.url === undefined
        ? undefined
        : { kind: "webhook", url: changes.url }
      : changes.queueUrl === undefined && changes.region === undefined
        ? undefined
        : {
            kind: "sqs",
            queueUrl: changes.queueUrl ?? current.url,
            region: changes.region ?? current.region ?? "",
          };
  problems.push(
    ...(await destinationProblems({
      destination,
      events: changes.events,
      policy: destinationPolicy(config),
    })),
  );
  if (problems.length > 0) throw invalidEntry("The webhook endpoint", problems);
  return db.transaction(async (tx) => {
    const before = await getWebhookEndpointRow({ executor: tx, endpointId, forUpdate: true });
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        ...(destination === undefined
          ? {}
          : destination.kind === "webhook"
            ? { url: destination.url }
            : { url: destination.queueUrl, region: destination.region }),
        ...(changes.events === undefined ? {} : { eventTypes: [...new Set(changes.events)] }),
        ...(changes.description === undefined ? {} : { description: changes.description }),
        updatedAt: now,
      })
      .where(eq(webhookEndpoints.id, endpointId))
      .returning();
    if (!row) throw notFound("Webhook endpoint", endpointId);
    const endpoint = toEndpointView(row);
    await recordAudit({
      executor: tx,
      entry: {
        action: "webhook_endpoint.updated",
        actor,
        organizationId: null,
        before: toEndpointView(before),
        after: endpoint,
      },
      now,
    });
    return endpoint;
  });
}

/**
 * Disables or enables an endpoint. A disabled endpoint gets no new deliveries and its pending ones wait;
 * enabling it sends them, in order, and starts its failure clock afresh.
 */
export async function setWebhookEndpointStatus({
  db,
  endpointId,
  status,
  reason,
  actor,
  now,
}: {
  db: Database;
  endpointId: string;
  status: "enabled" | "disabled";
  reason: string | null;
  actor: string;
  now: Date;
}): Promise<WebhookEndpointView> {
  return db.transaction(async (tx) => {
    const before = await getWebhookEndpointRow({ executor: tx, endpointId, forUpdate: true });
    const [row] = await tx
      .update(webhookEndpoints)
      .set(
        status === "enabled"
          ? {
              status,
              disabledReason: null,
              disabledAt: null,
              failingSince: null,
              updatedAt: now,
            }
          : {
              status,
              disabledReason: reason ?? "Disabled by an operator.",
              disabledAt: now,
              updatedAt: now,
            },
      )
      .where(eq(webhookEndpoints.id, endpointId))
      .returning();
    if (!row) throw notFound("Webhook endpoint", endpointId);
    const endpoint = toEndpointView(row);
    if (before.status !== status) {
      await recordAudit({
        executor: tx,
        entry: {
          action: `webhook_endpoint.${status}`,
          actor,
          organizationId: null,
          reason,
          before: toEndpointView(before),
          after: endpoint,
        },
        now,
      });
      if (status === "enabled") await kickStreams({ executor: tx, endpointId, now });
    }
    return endpoint;
  });
}

/** Deletes an endpoint with its deliveries and their attempts. */
export async function deleteWebhookEndpoint({
  db,
  endpointId,
  actor,
  now,
}: {
  db: Database;
  endpointId: string;
  actor: string;
  now: Date;
}): Promise<WebhookEndpointView> {
  return db.transaction(async (tx) => {
    const before = await getWebhookEndpointRow({ executor: tx, endpointId, forUpdate: true });
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId));
    const endpoint = toEndpointView(before);
    await recordAudit({
      executor: tx,
      entry: { action: "webhook_endpoint.deleted", actor, organizationId: null, before: endpoint },
      now,
    });
    return endpoint;
  });
}

/**
 * A new signing secret, shown once. The previous one keeps signing alongside it for 24 hours (messages
 * carry both signatures), so receivers can switch without missing a message.
 */
export async function rotateWebhookSecret({
  db,
  endpointId,
  actor,
  now,
}: {
  db: Database;
  endpointId: string;
  actor: string;
  now: Date;
}): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const secret = newWebhookSecret();
  return db.transaction(async (tx) => {
    const before = await getWebhookEndpointRow({ executor: tx, endpointId, forUpdate: true });
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        secret,
        previousSecret: before.secret,
        previousSecretExpiresAt: new Date(now.getTime() + previousSecretLifetimeMs),
        updatedAt: now,
      })
      .where(and(eq(webhookEndpoints.id, endpointId)))
      .returning();
    if (!row) throw notFound("Webhook endpoint", endpointId);
    const endpoint = toEndpointView(row);
    await recordAudit({
      executor: tx,
      entry: {
        action: "webhook_endpoint.secret_rotated",
        actor,
        organizationId: null,
        after: { id: endpoint.id, previousSecretExpiresAt: endpoint.previousSecretExpiresAt },
      },
      now,
    });
    return { endpoint, secret };
  });
}

/** The secrets that sign a message sent at `now`: the current one, and the previous one while it lasts. */
export function signingSecrets(endpoint: WebhookEndpointRow, now: Date): string[] {
  return endpoint.previousSecret &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt > now
    ? [endpoint.secret, endpoint.previousSecret]
    : [endpoint.secret];
}

export function requireEnabled(endpoint: WebhookEndpointRow) {
  if (endpoint.status !== "enabled") {
    throw invalidState(
      `Webhook endpoint ${endpoint.id} is disabled (${endpoint.disabledReason ?? "no reason given"}); enable it first with POST /v1/webhook-endpoints/${endpoint.id}/enable.`,
    );
  }
}
