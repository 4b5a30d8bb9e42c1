import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { webhookDeliveryStatuses } from "../../db/schema/index.ts";
import {
  getWebhookDelivery,
  listWebhookDeliveries,
  retryWebhookDelivery,
  type WebhookDeliveryRow,
} from "../../webhooks/webhook-deliveries.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";

const deliverySchema = z.object({
  id: z.string().meta({ examples: ["whd_01j8z6z9n3p7q1r5s9t3v7w1x5"] }),
  endpointId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  organizationId: z.string().nullable(),
  sequence: z.int(),
  status: z
    .enum(webhookDeliveryStatuses)
    .describe(
      "`pending` (waiting for its turn or its next retry), `delivered` (a 2xx), `failed` (retries used up)",
    ),
  attempts: z.int(),
  nextAttemptAt: z.date().nullable().describe("When a pending delivery is tried next"),
  lastAttemptAt: z.date().nullable(),
  lastStatusCode: z.int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: z.date().nullable(),
  createdAt: z.date(),
});

const attemptSchema = z.object({
  id: z.string(),
  attempt: z.int(),
  startedAt: z.date(),
  durationMs: z.int(),
  statusCode: z.int().nullable(),
  responseExcerpt: z
    .string()
    .nullable()
    .describe("The first 1 KiB of the answer (webhooks) or the SQS message id"),
  error: z.string().nullable(),
  outcome: z.enum(["delivered", "failed"]),
});

function toDeliveryView(row: WebhookDeliveryRow) {
  const { stream: _stream, ...view } = row;
  return { ...view, nextAttemptAt: row.status === "pending" ? row.nextAttemptAt : null };
}

const deliveryParams = z.object({ deliveryId: z.string().min(1).max(100) });

/** The delivery log of outbound events: what went where, every attempt, and retries by hand. */
export const webhookDeliveryRoutes: RouteModule = (app, { db, readDb, clock }) => {
  app.get(
    "/v1/webhook-deliveries",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "List deliveries",
        description:
          "Deliveries of events to endpoints, newest first, filtered by endpoint, event or status. Root only.",
        querystring: listQuery.extend({
          endpointId: z.string().min(1).max(100).optional(),
          eventId: z.string().min(1).max(100).optional(),
          status: z.enum(webhookDeliveryStatuses).optional(),
        }),
        response: { 200: listResponse(deliverySchema) },
      },
    },
    async (request) => {
      const { limit, cursor, endpointId, eventId, status } = request.query;
      const page = toPage(
        await listWebhookDeliveries({
          db: readDb,
          endpointId,
          eventId,
          status,
          limit: limit + 1,
          cursor,
        }),
        limit,
      );
      return { ...page, data: page.data.map(toDeliveryView) };
    },
  );

  app.get(
    "/v1/webhook-deliveries/:deliveryId",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Get a delivery and its attempts",
        description:
          "One delivery with every attempt: when, how long, the status and the start of the answer. Root only.",
        params: deliveryParams,
        response: { 200: deliverySchema.extend({ attemptLog: z.array(attemptSchema) }) },
      },
    },
    async (request) => {
      const delivery = await getWebhookDelivery({ db, deliveryId: request.params.deliveryId });
      return { ...toDeliveryView(delivery), attemptLog: delivery.attemptLog };
    },
  );

  app.post(
    "/v1/webhook-deliveries/:deliveryId/retry",
    {
      config: { access: access.root, errors: ["invalid_state"] },
      schema: {
        tags: ["webhooks out"],
        summary: "Retry a delivery now",
        description:
          "Sends the delivery again now: a `failed` one is tried once more (and stays `failed` if that attempt fails too), a pending one does not wait for its backoff, a delivered one is sent once more. Earlier pending deliveries of the same organization go first. The endpoint must be enabled. Root only.",
        params: deliveryParams,
        response: { 200: deliverySchema },
      },
    },
    async (request) =>
      toDeliveryView(
        await retryWebhookDelivery({ db, deliveryId: request.params.deliveryId, now: clock() }),
      ),
  );
};
