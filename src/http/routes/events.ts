import { z } from "zod";
import { access, canActForOrganization, type Principal } from "../../auth/principal.ts";
import { forbidden, validationError } from "../../errors.ts";
import { eventCatalog, eventTypes, isEventType } from "../../events/event-catalog.ts";
import { eventEnvelopeSchema, toEventEnvelope } from "../../events/event-envelope.ts";
import { jsonSchemaOf } from "../../events/event-webhooks-document.ts";
import { getEvent, listEvents } from "../../events/list-events.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { instantInput } from "../schemas/instant-input.ts";

const eventReaders = ["owner", "billing_admin"] as const;

/** The organization whose events a caller may read: root any (or all), others their own. */
function readableOrganization(principal: Principal | null, requested: string | undefined) {
  if (!principal) throw forbidden("Authentication required.");
  if (principal.root) return requested;
  const organizationId = requested ?? principal.apiKeyOrganizationId ?? undefined;
  if (organizationId === undefined) {
    throw validationError(
      "organizationId: required; only root lists the events of every organization.",
    );
  }
  if (!canActForOrganization({ principal, organizationId, roles: eventReaders })) {
    throw forbidden(
      `Only root, ${organizationId}'s own API keys and its owners and billing admins read its events.`,
    );
  }
  return organizationId;
}

const eventTypeSchema = z.object({
  type: z.string(),
  description: z.string(),
  schemaVersion: z.int(),
  data: z.record(z.string(), z.unknown()).describe("The JSON Schema of `data`"),
  previous: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("The JSON Schema of `previous`, for the types that have one"),
});

/** The event log: catch up after downtime, look an event up, and the catalog of types. */
export const eventRoutes: RouteModule = (app, { db, readDb }) => {
  app.get(
    "/v1/events",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["events"],
        summary: "List events",
        description:
          "The events Abono published (docs/events.md). Of one organization (`organizationId`), in sequence order: `order=asc` with `cursor=<the last sequence you processed>` catches up after downtime, in the order events happened; the default, `desc`, starts from the newest. Without `organizationId` (root only): every organization's events, newest first, the cursor an event id. Root sees every organization; an organization's API keys, owners and billing admins see its own.",
        querystring: listQuery.extend({
          organizationId: z.string().min(1).max(100).optional(),
          type: z
            .string()
            .min(1)
            .max(2000)
            .optional()
            .describe("One type, or several comma-separated (`invoice.paid,payment.failed`)"),
          since: instantInput().optional().describe("Events created at or after this instant"),
          until: instantInput().optional().describe("Events created at or before this instant"),
          order: z.enum(["asc", "desc"]).default("desc"),
        }),
        response: { 200: listResponse(eventEnvelopeSchema) },
      },
    },
    async (request) => {
      const { limit, cursor, organizationId, type, since, until, order } = request.query;
      const organization = readableOrganization(request.principal, organizationId);
      const types = type?.split(",").map((item) => item.trim());
      const unknown = types?.filter(
        (item) => !isEventType(item) && item !== "subscription.changed",
      );
      if (unknown && unknown.length > 0) {
        throw validationError(
          `type: ${unknown.map((item) => JSON.stringify(item)).join(", ")} is not an event type; see GET /v1/event-types.`,
        );
      }
      if (organization !== undefined && cursor !== undefined && !/^\d{1,15}$/.test(cursor)) {
        throw validationError(
          "cursor: with organizationId, the cursor is a sequence number (the previous page's nextCursor).",
        );
      }
      const { rows, cursorOf } = await listEvents({
        db: readDb,
        filters: {
          organizationId: organization,
          types,
          since: since === undefined ? undefined : new Date(since),
          until: until === undefined ? undefined : new Date(until),
        },
        order,
        limit,
        cursor,
      });
      const page = toPage(rows, limit, cursorOf);
      return { ...page, data: page.data.map(toEventEnvelope) };
    },
  );

  app.get(
    "/v1/events/:eventId",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["events"],
        summary: "Get an event",
        description:
          "One event, as its webhooks carried it. Root, or the organization's API keys, owners and billing admins.",
        params: z.object({ eventId: z.string().min(1).max(100) }),
        response: { 200: eventEnvelopeSchema },
      },
    },
    async (request) => {
      const row = await getEvent({ db, eventId: request.params.eventId });
      if (row.organizationId === null) {
        if (!request.principal?.root) throw forbidden("Only root reads this event.");
      } else {
        readableOrganization(request.principal, row.organizationId);
      }
      return toEventEnvelope(row);
    },
  );

  app.get(
    "/v1/event-types",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["events"],
        summary: "The event catalog",
        description:
          "Every event type with its meaning, its current `schemaVersion` and the JSON Schemas of `data` and `previous` (also in this document's `webhooks` section and docs/events.md).",
        response: { 200: z.object({ data: z.array(eventTypeSchema) }) },
      },
    },
    async () => ({
      data: eventTypes.map((type) => {
        const definition = eventCatalog[type];
        return {
          type,
          description: definition.description,
          schemaVersion: definition.version,
          data: jsonSchemaOf(definition.data),
          previous: definition.previous ? jsonSchemaOf(definition.previous) : null,
        };
      }),
    }),
  );
};
