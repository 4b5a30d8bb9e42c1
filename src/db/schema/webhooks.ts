import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * Outbound events (docs/events.md): the per-organization sequence numbers of the event log, the
 * destinations root subscribes to it (HTTPS webhooks signed with Standard Webhooks, or Amazon SQS queues),
 * one delivery per (destination, event) and every attempt of it.
 */

const at = (name: string) => timestamp(name, { withTimezone: true });

/** The last sequence number given to each organization's events (`''`: events of no organization). */
export const eventSequences = pgTable("event_sequences", {
  organizationId: text("organization_id").primaryKey(),
  lastSequence: bigint("last_sequence", { mode: "number" }).notNull(),
});

export const webhookEndpointKinds = ["webhook", "sqs"] as const;
export type WebhookEndpointKind = (typeof webhookEndpointKinds)[number];
export const webhookEndpointStatuses = ["enabled", "disabled"] as const;
export type WebhookEndpointStatus = (typeof webhookEndpointStatuses)[number];

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: webhookEndpointKinds }).notNull(),
    /** The webhook's URL, or the SQS queue URL. */
    url: text("url").notNull(),
    /** SQS only: the queue's AWS region. */
    region: text("region"),
    /** `["*"]` for every event type, else the types delivered. */
    eventTypes: text("event_types").array().notNull(),
    description: text("description"),
    status: text("status", { enum: webhookEndpointStatuses }).notNull(),
    disabledReason: text("disabled_reason"),
    disabledAt: at("disabled_at"),
    /** The signing secret (`whsec_` + base64); shown once, when created or rotated. */
    secret: text("secret").notNull(),
    /** After a rotation, the previous secret keeps signing alongside until `previousSecretExpiresAt`. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: at("previous_secret_expires_at"),
    /** Since when every attempt has failed (null after a success); long enough disables the endpoint. */
    failingSince: at("failing_since"),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
  },
  (table) => [
    check("webhook_endpoints_kind", sql`${table.kind} in ('webhook', 'sqs')`),
    check("webhook_endpoints_status", sql`${table.status} in ('enabled', 'disabled')`),
  ],
);

export const webhookDeliveryStatuses = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/**
 * One event to one endpoint. Each (endpoint, organization) stream is delivered in sequence order: the
 * oldest pending delivery goes first, and a failing one holds back the later ones until it succeeds or
 * its retries run out (`failed`).
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    organizationId: text("organization_id"),
    /** The organization, or `''` for events of none: deliveries of one stream go out in order. */
    stream: text("stream").notNull(),
    sequence: bigint("sequence", { mode: "number" }).notNull(),
    status: text("status", { enum: webhookDeliveryStatuses }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: at("next_attempt_at").notNull(),
    lastAttemptAt: at("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: at("delivered_at"),
    createdAt: at("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("webhook_deliveries_endpoint_event_idx").on(table.endpointId, table.eventId),
    index("webhook_deliveries_stream_idx")
      .on(table.endpointId, table.stream, table.sequence)
      .where(sql`${table.status} = 'pending'`),
    index("webhook_deliveries_endpoint_idx").on(table.endpointId, table.id),
    index("webhook_deliveries_event_idx").on(table.eventId),
    check("webhook_deliveries_status", sql`${table.status} in ('pending', 'delivered', 'failed')`),
  ],
);

/**
 * Who delivers a stream right now: one worker at a time holds its lease (renewed before every send), so
 * each stream goes out in order; a worker that dies mid-delivery lets go when the lease runs out.
 */
export const webhookStreams = pgTable(
  "webhook_streams",
  {
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    stream: text("stream").notNull(),
    leasedUntil: at("leased_until").notNull(),
    leaseToken: text("lease_token").notNull(),
  },
  (table) => [primaryKey({ columns: [table.endpointId, table.stream] })],
);

/** What happened at one attempt: the status, how long it took and the start of the answer. */
export const webhookDeliveryAttempts = pgTable(
  "webhook_delivery_attempts",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    startedAt: at("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** The HTTP status (webhooks) or 200 for a message SQS accepted; null when nothing answered. */
    statusCode: integer("status_code"),
    /** The first bytes of the answer (webhooks) or the SQS message id. */
    responseExcerpt: text("response_excerpt"),
    error: text("error"),
    outcome: text("outcome", { enum: ["delivered", "failed"] }).notNull(),
  },
  (table) => [index("webhook_delivery_attempts_delivery_idx").on(table.deliveryId, table.id)],
);
