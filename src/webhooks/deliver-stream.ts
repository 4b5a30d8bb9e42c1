import { randomUUID } from "node:crypto";
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import {
  events,
  webhookDeliveries,
  webhookDeliveryAttempts,
  webhookEndpoints,
  webhookStreams,
} from "../db/schema/index.ts";
import { type EventRow, toEventEnvelope } from "../events/event-envelope.ts";
import { newId } from "../ids.ts";
import { enqueueJob } from "../jobs/enqueue-job.ts";
import { defineJob } from "../jobs/job.ts";
import type { Logger } from "../logger.ts";
import { adminWebhookDisabledJob } from "../notifications/webhook-notifications.ts";
import type { AttemptResult } from "./post-webhook.ts";
import { retryDelay } from "./retry-delay.ts";
import { sendToEndpoint } from "./send-to-endpoint.ts";
import { deliverStreamJobName, enqueueStreams } from "./stream-jobs.ts";
import type { WebhookEndpointRow } from "./webhook-endpoints.ts";

/**
 * How long a stream's lease lasts: twice the longest attempt and five seconds, renewed before every
 * attempt. A worker killed mid-delivery holds its streams no longer than this.
 */
export const leaseMs = (timeoutMs: number) => 2 * timeoutMs + 5000;
/** Deliveries sent by one run of a stream's job before it makes way for others. */
const deliveriesPerRun = 100;
/** When another worker holds the stream: look again this soon (it usually lets go within moments). */
const busyRetryMs = 1000;
/** When the endpoint has as many streams in flight as it may: look again this soon. */
const endpointBusyRetryMs = 2000;

/**
 * How many of one endpoint's streams may be in flight at once: half the delivery pool, so a receiver that
 * hangs never takes every slot from the others.
 */
export const streamsPerEndpoint = (concurrency: number) => Math.max(1, Math.floor(concurrency / 2));

type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export interface DeliveryServices {
  db: Database;
  config: Config;
  logger: Logger;
  /** The system's "now": deliveries, retries and disabling run on it (tests pin it). */
  clock: () => Date;
}

/** The job of one stream (docs/events.md "Delivery"): see `deliverStream`. */
export const deliverStreamJob = defineJob({
  name: deliverStreamJobName,
  payload: z.object({ endpointId: z.string(), stream: z.string() }),
  maxAttempts: 25,
  async handler({ payload, context }) {
    await deliverStream({ services: context, ...payload });
  },
});

/**
 * Sends a stream's pending deliveries, oldest sequence first, while holding the stream's lease: each
 * attempt is recorded; a 2xx delivers; a failure schedules the retry (exponential backoff with jitter)
 * and holds the later deliveries back until it; a delivery whose retries ran out is `failed` and the
 * next one goes. A 410 disables the endpoint, and so does failing without a success for
 * `ABONO_WEBHOOK_DISABLE_AFTER`; the operators are told either way.
 */
export async function deliverStream({
  services,
  endpointId,
  stream,
}: {
  services: DeliveryServices;
  endpointId: string;
  stream: string;
}): Promise<void> {
  const { db, config } = services;
  const token = randomUUID();
  const ref = { endpointId, stream };
  for (let sent = 0; sent < deliveriesPerRun; sent++) {
    const now = services.clock();
    const lease = await takeLease({
      db,
      endpointId,
      stream,
      token,
      now,
      until: new Date(now.getTime() + leaseMs(config.webhooks.timeoutMs)),
      endpointLimit: streamsPerEndpoint(config.webhooks.concurrency),
    });
    if (lease !== "taken") {
      await enqueueStreams({
        executor: db,
        streams: [ref],
        delayMs: lease === "stream_busy" ? busyRetryMs : endpointBusyRetryMs,
        preserveRunAt: true,
      });
      return;
    }
    const [endpoint] = await db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, endpointId));
    const head = endpoint?.status === "enabled" ? await nextDelivery({ db, ...ref }) : undefined;
    if (!endpoint || !head) {
      await releaseLease({ db, ...ref, token });
      // A delivery committed while the lease was held would wait for nobody: look once more.
      if (endpoint?.status === "enabled" && (await nextDelivery({ db, ...ref }))) continue;
      return;
    }
    if (head.nextAttemptAt > now) {
      await releaseLease({ db, ...ref, token });
      await enqueueStreams({
        executor: db,
        streams: [ref],
        delayMs: head.nextAttemptAt.getTime() - now.getTime(),
        preserveRunAt: false,
      });
      return;
    }
    const outcome = await attemptDelivery({ services, endpoint, delivery: head });
    if (outcome.kind === "retry") {
      await releaseLease({ db, ...ref, token });
      await enqueueStreams({
        executor: db,
        streams: [ref],
        delayMs: outcome.delayMs,
        preserveRunAt: false,
      });
      return;
    }
    if (outcome.kind === "endpoint_disabled") {
      await releaseLease({ db, ...ref, token });
      return;
    }
  }
  await releaseLease({ db, ...ref, token });
  await enqueueStreams({ executor: db, streams: [ref], preserveRunAt: false });
}

/**
 * Takes (or renews) the stream's lease: refused while another worker holds it (`stream_busy`), or while
 * the endpoint has `endpointLimit` other streams in flight (`endpoint_busy`; counted under a lock on the
 * endpoint, so the limit holds across workers).
 */
async function takeLease({
  db,
  endpointId,
  stream,
  token,
  now,
  until,
  endpointLimit,
}: {
  db: Database;
  endpointId: string;
  stream: string;
  token: string;
  now: Date;
  until: Date;
  endpointLimit: number;
}): Promise<"taken" | "stream_busy" | "endpoint_busy"> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`abono.webhook:${endpointId}`}))`);
    const others = await tx.$count(
      webhookStreams,
      and(
        eq(webhookStreams.endpointId, endpointId),
        sql`${webhookStreams.stream} <> ${stream}`,
        gt(webhookStreams.leasedUntil, now),
      ),
    );
    if (others >= endpointLimit) return "endpoint_busy";
    const taken = await tx
      .insert(webhookStreams)
      .values({ endpointId, stream, leasedUntil: until, leaseToken: token })
      .onConflictDoUpdate({
        target: [webhookStreams.endpointId, webhookStreams.stream],
        set: { leasedUntil: until, leaseToken: token },
        setWhere: sql`${webhookStreams.leasedUntil} <= ${now.toISOString()}::timestamptz or ${webhookStreams.leaseToken} = ${token}`,
      })
      .returning({ token: webhookStreams.leaseToken });
    return taken.length > 0 ? "taken" : "stream_busy";
  });
}

async function releaseLease({
  db,
  endpointId,
  stream,
  token,
}: {
  db: Database;
  endpointId: string;
  stream: string;
  token: string;
}) {
  await db
    .update(webhookStreams)
    .set({ leasedUntil: new Date(0) })
    .where(
      and(
        eq(webhookStreams.endpointId, endpointId),
        eq(webhookStreams.stream, stream),
        eq(webhookStreams.leaseToken, token),
      ),
    );
}

async function nextDelivery({
  db,
  endpointId,
  stream,
}: {
  db: Database;
  endpointId: string;
  stream: string;
}): Promise<DeliveryRow | undefined> {
  const [head] = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.stream, stream),
        eq(webhookDeliveries.status, "pending"),
      ),
    )
    .orderBy(asc(webhookDeliveries.sequence), asc(webhookDeliveries.id))
    .limit(1);
  return head;
}

type Outcome =
  | { kind: "delivered" }
  | { kind: "given_up" }
  | { kind: "retry"; delayMs: number }
  | { kind: "endpoint_disabled" };

/** One attempt of one delivery, sent and recorded. */
async function attemptDelivery({
  services,
  endpoint,
  delivery,
}: {
  services: DeliveryServices;
  endpoint: WebhookEndpointRow;
  delivery: DeliveryRow;
}): Promise<Outcome> {
  const { db, config, logger, clock } = services;
  const [event] = await db.select().from(events).where(eq(events.id, delivery.eventId));
  const startedAt = clock();
  const result: AttemptResult = event
    ? await sendToEndpoint({
        config,
        endpoint,
        event: toEventEnvelope(event as EventRow),
        now: startedAt,
      })
    : { statusCode: null, excerpt: null, error: "The event no longer exists.", durationMs: 0 };
  const finishedAt = clock();
  const attempt = delivery.attempts + 1;
  const delivered =
    result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const gone = endpoint.kind === "webhook" && result.statusCode === 410;
  const delayMs =
    delivered || gone || !event
      ? null
      : retryDelay({
          attempts: attempt,
          schedule: config.webhooks.retrySchedule,
          random: Math.random(),
        });
  const failingSince = delivered ? null : (endpoint.failingSince ?? startedAt);
  const disableReason = gone
    ? "The endpoint answered 410 Gone."
    : failingSince !== null &&
        finishedAt.getTime() - failingSince.getTime() >= config.webhooks.disableAfterMs
      ? `Every attempt failed since ${failingSince.toISOString()} (${describeDuration(config.webhooks.disableAfterMs)} or more without a success); the last: ${describeFailure(result)}`
      : null;
  await db.transaction(async (tx) => {
    await tx.insert(webhookDeliveryAttempts).values({
      id: newId("wha", startedAt.getTime()),
      deliveryId: delivery.id,
      attempt,
      startedAt,
      durationMs: result.durationMs,
      statusCode: result.statusCode,
      responseExcerpt: result.excerpt,
      error: result.error,
      outcome: delivered ? "delivered" : "failed",
    });
    await tx
      .update(webhookDeliveries)
      .set({
        attempts: attempt,
        lastAttemptAt: startedAt,
        lastStatusCode: result.statusCode,
        lastError: delivered ? null : describeFailure(result),
        ...(delivered
          ? { status: "delivered", deliveredAt: finishedAt }
          : delayMs === null && !gone
            ? { status: "failed" }
            : { nextAttemptAt: new Date(finishedAt.getTime() + (delayMs ?? 0)) }),
      })
      .where(eq(webhookDeliveries.id, delivery.id));
    await tx
      .update(webhookEndpoints)
      .set(
        disableReason === null
          ? { failingSince }
          : {
              failingSince,
              status: "disabled",
              disabledReason: disableReason,
              disabledAt: finishedAt,
              updatedAt: finishedAt,
            },
      )
      .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.status, "enabled")));
    if (disableReason !== null) {
      await enqueueJob(tx, adminWebhookDisabledJob, {
        endpointId: endpoint.id,
        disabledAt: finishedAt.toISOString(),
      });
    }
  });
  if (!delivered) {
    logger.info(
      { endpointId: endpoint.id, deliveryId: delivery.id, attempt, statusCode: result.statusCode },
      "webhook delivery failed",
    );
  }
  if (disableReason !== null) {
    logger.warn({ endpointId: endpoint.id, reason: disableReason }, "webhook endpoint disabled");
    return { kind: "endpoint_disabled" };
  }
  if (delivered) return { kind: "delivered" };
  return delayMs === null ? { kind: "given_up" } : { kind: "retry", delayMs };
}

/** `5 days`, `36 hours`, `90 seconds`: the largest unit that divides the duration. */
export function describeDuration(ms: number): string {
  for (const [unit, size] of [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
    ["second", 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${count} ${unit}${count === 1 ? "" : "s"}`;
    }
  }
  return `${ms} ms`;
}

function describeFailure(result: AttemptResult): string {
  if (result.error) return result.error;
  return `HTTP ${result.statusCode ?? "?"}`;
}
