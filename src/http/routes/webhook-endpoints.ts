import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { toEventEnvelope } from "../../events/event-envelope.ts";
import { newId } from "../../ids.ts";
import { sendToEndpoint } from "../../webhooks/send-to-endpoint.ts";
import { replayWebhookEvents } from "../../webhooks/webhook-deliveries.ts";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpointRow,
  listWebhookEndpoints,
  rotateWebhookSecret,
  setWebhookEndpointStatus,
  toEndpointView,
  updateWebhookEndpoint,
} from "../../webhooks/webhook-endpoints.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { instantInput } from "../schemas/instant-input.ts";

const eventList = z
  .array(z.string().min(1).max(100))
  .min(1)
  .max(100)
  .describe('`["*"]` for every event type, or the types to deliver (GET /v1/event-types)');
const description = z.string().trim().max(500);

export const webhookEndpointSchema = z.object({
  id: z.string().meta({ examples: ["whe_01j8z6z9n3p7q1r5s9t3v7w1x5"] }),
  kind: z.enum(["webhook", "sqs"]),
  url: z.string().nullable().describe("The webhook's URL (kind webhook)"),
  queueUrl: z.string().nullable().describe("The SQS queue URL (kind sqs)"),
  region: z.string().nullable().describe("The SQS queue's region (kind sqs)"),
  events: z.array(z.string()),
  description: z.string().nullable(),
  status: z.enum(["enabled", "disabled"]),
  disabledReason: z.string().nullable(),
  disabledAt: z.date().nullable(),
  failingSince: z
    .date()
    .nullable()
    .describe("Since when every attempt failed; disabled after ABONO_WEBHOOK_DISABLE_AFTER"),
  previousSecretExpiresAt: z
    .date()
    .nullable()
    .describe("After a rotation: until when the previous secret signs too"),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const withSecret = webhookEndpointSchema.extend({
  secret: z
    .string()
    .describe(
      "The signing secret (`whsec_…`), shown only now: give it to your Standard Webhooks verifier",
    ),
});

const createBody = z.union([
  z.object({
    kind: z.literal("webhook").default("webhook"),
    url: z.string().min(1).max(2048),
    events: eventList,
    description: description.optional(),
  }),
  z.object({
    kind: z.literal("sqs"),
    queueUrl: z.string().min(1).max(2048),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as us-east-1"),
    events: eventList,
    description: description.optional(),
  }),
]);

const endpointParams = z.object({ endpointId: z.string().min(1).max(100) });

/** Root's outbound destinations: webhooks signed with Standard Webhooks, and SQS queues. */
export const webhookEndpointRoutes: RouteModule = (app, { db, config, clock }) => {
  const actorOf = (request: { principal: { id: string } | null }) =>
    request.principal?.id ?? "unknown";

  app.post(
    "/v1/webhook-endpoints",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Create a webhook endpoint (or SQS destination)",
        description:
          'Subscribes a destination to events. A webhook (`{url, events}`) receives each event as a signed POST (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`); an Amazon SQS destination (`{kind: "sqs", queueUrl, region, events}`) receives the same body as a message, FIFO queues grouped by organization. The answer carries the signing `secret`, shown only this once. URLs must be https and resolve to public addresses (SSRF protection) unless private destinations are allowed (test mode, ABONO_WEBHOOK_ALLOW_PRIVATE_URLS, ABONO_WEBHOOK_ALLOWED_HOSTS). Root only.',
        body: createBody,
        response: { 201: withSecret },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { endpoint, secret } = await createWebhookEndpoint({
        db,
        config,
        input: {
          destination:
            body.kind === "sqs"
              ? { kind: "sqs", queueUrl: body.queueUrl, region: body.region }
              : { kind: "webhook", url: body.url },
          events: body.events,
          description: body.description ?? null,
        },
        actor: actorOf(request),
        now: clock(),
      });
      return reply.code(201).send({ ...endpoint, secret });
    },
  );

  app.get(
    "/v1/webhook-endpoints",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "List webhook endpoints",
        description: "Every endpoint, newest first, without secrets. Root only.",
        querystring: listQuery,
        response: { 200: listResponse(webhookEndpointSchema) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return toPage(await listWebhookEndpoints({ db, limit: limit + 1, cursor }), limit);
    },
  );

  app.get(
    "/v1/webhook-endpoints/:endpointId",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Get a webhook endpoint",
        description: "One endpoint, without its secret. Root only.",
        params: endpointParams,
        response: { 200: webhookEndpointSchema },
      },
    },
    async (request) =>
      toEndpointView(
        await getWebhookEndpointRow({ executor: db, endpointId: request.params.endpointId }),
      ),
  );

  app.patch(
    "/v1/webhook-endpoints/:endpointId",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Update a webhook endpoint",
        description:
          "Changes the destination (`url`, or `queueUrl`/`region` of an Amazon SQS destination), the event types or the description. Events already queued for it go to the new destination. Root only.",
        params: endpointParams,
        body: z.object({
          url: z.string().min(1).max(2048).optional(),
          queueUrl: z.string().min(1).max(2048).optional(),
          region: z
            .string()
            .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as us-east-1")
            .optional(),
          events: eventList.optional(),
          description: description.nullable().optional(),
        }),
        response: { 200: webhookEndpointSchema },
      },
    },
    async (request) =>
      updateWebhookEndpoint({
        db,
        config,
        endpointId: request.params.endpointId,
        changes: request.body,
        actor: actorOf(request),
        now: clock(),
      }),
  );

  for (const status of ["disabled", "enabled"] as const) {
    const verb = status === "disabled" ? "disable" : "enable";
    app.post(
      `/v1/webhook-endpoints/:endpointId/${verb}`,
      {
        config: { access: access.root },
        schema: {
          tags: ["webhooks out"],
          summary:
            status === "disabled" ? "Disable a webhook endpoint" : "Enable a webhook endpoint",
          description:
            status === "disabled"
              ? "Stops deliveries to the endpoint: new events are not queued for it, and what is pending waits. Root only."
              : "Resumes deliveries: what is pending is sent, in each organization's sequence order, and the failure clock starts afresh. Root only.",
          params: endpointParams,
          body: z.object({ reason: z.string().trim().min(1).max(500).optional() }).nullish(),
          response: { 200: webhookEndpointSchema },
        },
      },
      async (request) =>
        setWebhookEndpointStatus({
          db,
          endpointId: request.params.endpointId,
          status,
          reason: request.body?.reason ?? null,
          actor: actorOf(request),
          now: clock(),
        }),
    );
  }

  app.delete(
    "/v1/webhook-endpoints/:endpointId",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Delete a webhook endpoint",
        description:
          "Removes the endpoint with its deliveries and their log; answers the endpoint as it was. Root only.",
        params: endpointParams,
        response: { 200: webhookEndpointSchema },
      },
    },
    async (request) =>
      deleteWebhookEndpoint({
        db,
        endpointId: request.params.endpointId,
        actor: actorOf(request),
        now: clock(),
      }),
  );

  app.post(
    "/v1/webhook-endpoints/:endpointId/rotate-secret",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Rotate a webhook endpoint's secret",
        description:
          "A new signing secret, shown only in this answer. For 24 hours every message carries two signatures, one per secret (`previousSecretExpiresAt`), so receivers switch without losing a message. Root only.",
        params: endpointParams,
        response: { 200: withSecret },
      },
    },
    async (request) => {
      const { endpoint, secret } = await rotateWebhookSecret({
        db,
        endpointId: request.params.endpointId,
        actor: actorOf(request),
        now: clock(),
      });
      return { ...endpoint, secret };
    },
  );

  app.post(
    "/v1/webhook-endpoints/:endpointId/test",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Send a test event",
        description:
          "Sends one `webhook.test` event to the endpoint now, signed like every other, and answers what happened (nothing is retried or logged as a delivery). Root only.",
        params: endpointParams,
        response: {
          200: z.object({
            delivered: z.boolean(),
            statusCode: z.int().nullable(),
            durationMs: z.int(),
            responseExcerpt: z.string().nullable(),
            error: z.string().nullable(),
            event: z.object({ id: z.string(), type: z.literal("webhook.test") }),
          }),
        },
      },
    },
    async (request) => {
      const endpoint = await getWebhookEndpointRow({
        executor: db,
        endpointId: request.params.endpointId,
      });
      const now = clock();
      const id = newId("evt", now.getTime());
      const result = await sendToEndpoint({
        config,
        endpoint,
        event: toEventEnvelope({
          id,
          type: "webhook.test",
          organizationId: null,
          sequence: 0,
          schemaVersion: 1,
          data: { endpointId: endpoint.id, message: "A test event from Abono." },
          previous: null,
          createdAt: now,
          publishedAt: now,
        }),
        now,
      });
      return {
        delivered:
          result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        responseExcerpt: result.excerpt,
        error: result.error,
        event: { id, type: "webhook.test" as const },
      };
    },
  );

  app.post(
    "/v1/webhook-endpoints/:endpointId/replay",
    {
      config: { access: access.root },
      schema: {
        tags: ["webhooks out"],
        summary: "Replay events to an endpoint",
        description:
          "Sends every event created since `since` (up to `until`) that the endpoint takes to it again, in each organization's sequence order, with the same `webhook-id`s. Root only.",
        params: endpointParams,
        body: z.object({ since: instantInput(), until: instantInput().optional() }),
        response: { 200: z.object({ deliveries: z.int() }) },
      },
    },
    async (request) =>
      replayWebhookEvents({
        db,
        endpointId: request.params.endpointId,
        since: new Date(request.body.since),
        until: request.body.until === undefined ? undefined : new Date(request.body.until),
        now: clock(),
      }),
  );
};
