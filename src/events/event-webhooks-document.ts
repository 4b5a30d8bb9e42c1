import { z } from "zod";
import { eventCatalog, eventTypes } from "./event-catalog.ts";

type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema (2020-12, as OpenAPI 3.1 takes it), in its JSON (output) form. Objects stay
 * open (payloads gain fields without a new version) and integers carry no JavaScript-specific bounds.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "output" }) as JsonSchema;
  return openUp(rest) as JsonSchema;
}

function openUp(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openUp);
  if (value === null || typeof value !== "object") return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === "additionalProperties" && item === false) continue;
    if (
      (key === "minimum" || key === "maximum") &&
      Math.abs(Number(item)) === Number.MAX_SAFE_INTEGER
    )
      continue;
    result[key] = openUp(item);
  }
  return result;
}

/** The JSON Schema of one event type's body: the envelope with its `type`, version and payloads. */
export function eventBodySchema(type: (typeof eventTypes)[number]): JsonSchema {
  const definition = eventCatalog[type];
  return {
    type: "object",
    description: definition.description,
    required: [
      "id",
      "type",
      "schemaVersion",
      "sequence",
      "createdAt",
      "organizationId",
      "data",
      "previous",
    ],
    properties: {
      id: {
        type: "string",
        description: "Unique; also the `webhook-id` header",
        examples: ["evt_01j8z6w3b7c1d5e9f3g7h1j5k9"],
      },
      type: { type: "string", const: type },
      schemaVersion: { type: "integer", const: definition.version },
      sequence: {
        type: "integer",
        minimum: 1,
        description: "1, 2, 3… per organization in commit order, with no gap",
      },
      createdAt: { type: "string", format: "date-time" },
      organizationId: { type: ["string", "null"] },
      data: jsonSchemaOf(definition.data),
      previous: definition.previous
        ? { anyOf: [jsonSchemaOf(definition.previous), { type: "null" }] }
        : { type: "null" },
    },
  };
}

const signatureHeaders = [
  {
    name: "webhook-id",
    description: "The event id: the same on every attempt; deduplicate on it.",
  },
  {
    name: "webhook-timestamp",
    description: "Seconds since the epoch when this attempt was signed.",
  },
  {
    name: "webhook-signature",
    description:
      '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` with the endpoint\'s secret (after a rotation, a second signature with the previous secret, space-separated, for 24 hours). Verify with any Standard Webhooks library.',
  },
].map(({ name, description }) => ({
  in: "header",
  name,
  required: true,
  description,
  schema: { type: "string" },
}));

/**
 * The OpenAPI 3.1 `webhooks` section: one operation per event type, the request Abono sends to an
 * endpoint (or the message body it puts on an SQS queue).
 */
export function eventWebhooksDocument(): Record<string, JsonSchema> {
  return Object.fromEntries(
    eventTypes.map((type) => [
      type,
      {
        post: {
          tags: ["events"],
          summary: type,
          description: `${eventCatalog[type].description} Sent to every enabled endpoint subscribed to \`${type}\` or \`*\` (docs/events.md).`,
          operationId: `event_${type.replace(/\./g, "_")}`,
          parameters: signatureHeaders,
          requestBody: {
            required: true,
            content: { "application/json": { schema: eventBodySchema(type) } },
          },
          responses: {
            "2XX": { description: "Received: the delivery is done." },
            "410": { description: "Gone: Abono disables the endpoint and tells the operators." },
            default: {
              description:
                "Anything else, or no answer within the timeout (10 s): retried with exponential backoff for about three days.",
            },
          },
        },
      },
    ]),
  );
}
