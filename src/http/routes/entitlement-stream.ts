import { inArray } from "drizzle-orm";
import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { organizations as organizationsTable } from "../../db/schema/index.ts";
import { streamEntitlements } from "../../entitlements/stream-entitlements.ts";
import { AbonoError, forbidden, notFound } from "../../errors.ts";
import type { RouteModule } from "../app-types.ts";

/** A comment line every this often keeps proxies from closing an idle stream and shows it is alive. */
const heartbeatMs = 15_000;

const querySchema = z.object({
  organizations: z
    .string()
    .max(20_000)
    .optional()
    .describe(
      '"all" (root only) or organization ids separated by commas. Defaults to the key\'s own organization (organization key) or "all" (root).',
    ),
});

/** `GET /v1/entitlements/stream`: Server-Sent Events of effective entitlements (docs/entitlements.md "Stream"). */
export const entitlementStreamRoutes: RouteModule = (app, { db, clock, entitlementCache }) => {
  // Open streams never hold up a shutdown.
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const close of open) close();
  });
  app.get(
    "/v1/entitlements/stream",
    {
      config: { access: access.authenticated },
      schema: {
        tags: ["entitlements"],
        summary: "Stream effective entitlements (Server-Sent Events)",
        description:
          "A `text/event-stream`: first an `entitlement` event per requested organization (the snapshot), then `ready`, then an `entitlement` event whenever a committed change moves an organization's entitlement or usage. Each `entitlement` event's data is `{organizationId, version, entitlement}` with `entitlement` shaped like `GET /v1/organizations/{orgId}/entitlement`; its id is `<organizationId>:<version>`. Every event carries the whole state, so after a reconnection (with or without `Last-Event-ID`) the stream starts again from the current state of every organization and nothing is missed. A comment line (`: heartbeat`) every 15 s. If the server loses its change listener it sends `reset` and closes: reconnect. Root key: `organizations=all` or a list; an organization key: its own organization only (another one: 403 `forbidden`). An unknown organization id answers 404 `not_found` before the stream starts.",
        querystring: querySchema,
        response: {
          200: z.string().describe("text/event-stream"),
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (!principal) throw forbidden("Authentication required");
      const requested = request.query.organizations?.trim();
      let organizations: "all" | string[];
      if (principal.root) {
        organizations =
          !requested || requested === "all"
            ? "all"
            : [...new Set(requested.split(",").map((id) => id.trim()))].filter(Boolean);
      } else {
        const own = principal.apiKeyOrganizationId;
        if (!own) throw forbidden("The entitlement stream needs a root or an organization key");
        const ids = requested ? requested.split(",").map((id) => id.trim()) : [own];
        if (requested === "all" || ids.some((id) => id !== own)) {
          throw forbidden("An organization key streams its own organization only");
        }
        organizations = [own];
      }
      if (organizations !== "all" && organizations.length === 0) {
        throw new AbonoError("validation_error", "organizations: at least one organization id");
      }
      if (organizations !== "all" && organizations.length > 1000) {
        throw new AbonoError("validation_error", "organizations: at most 1000 organization ids");
      }
      if (organizations !== "all") {
        // Answered before the stream starts: an unknown organization is an error, not an empty stream.
        const found = await db
          .select({ id: organizationsTable.id })
          .from(organizationsTable)
          .where(inArray(organizationsTable.id, organizations));
        const known = new Set(found.map((row) => row.id));
        const missing = organizations.find((id) => !known.has(id));
        if (missing !== undefined) throw notFound("Organization", missing);
      }

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
        "x-request-id": String(request.id),
      });
      raw.write("retry: 1000\n\n");
      raw.socket?.setNoDelay(true);
      const heartbeat = setInterval(() => raw.write(": heartbeat\n\n"), heartbeatMs);
      heartbeat.unref();
      const stream = streamEntitlements({
        db,
        cache: entitlementCache,
        organizations,
        clock,
        sink: {
          send(event) {
            raw.write(
              `event: entitlement\nid: ${event.organizationId}:${event.version}\ndata: ${JSON.stringify(event)}\n\n`,
            );
          },
          ready() {
            raw.write("event: ready\ndata: {}\n\n");
          },
          end(reason) {
            clearInterval(heartbeat);
            raw.end(`event: reset\ndata: ${JSON.stringify({ reason })}\n\n`);
          },
        },
      });
      const close = () => {
        open.delete(close);
        clearInterval(heartbeat);
        stream.stop();
        raw.end();
      };
      open.add(close);
      raw.on("close", close);
    },
  );
};
