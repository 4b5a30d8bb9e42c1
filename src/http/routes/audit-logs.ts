import { z } from "zod";
import { type AuditLogRow, listAuditLogs } from "../../audit/list-audit-logs.ts";
import { access } from "../../auth/principal.ts";
import { getOrganizationRecord } from "../../organizations/organizations.ts";
import type { RouteModule } from "../app-types.ts";
import { listQuery, listResponse, toPage } from "../pagination.ts";
import { instantInput } from "../schemas/instant-input.ts";

const auditLogSchema = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.string().describe("An API key id (`key_…`), a user (`user:<sub>`) or `system:<job>`."),
  organizationId: z.string().nullable(),
  reason: z.string().nullable(),
  before: z.unknown().describe("The state before the change (JSON), or null."),
  after: z.unknown().describe("The state after the change (JSON), or null."),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  requestId: z
    .string()
    .nullable()
    .describe("Abono's id of the HTTP request that made it (answered in `x-request-id`)."),
  clientRequestId: z
    .string()
    .nullable()
    .describe(
      "The caller's own `X-Request-Id` on that request, when it was 1–128 characters of `A–Z a–z 0–9 . _ : / @ + = -` and not shaped like Abono's ids; else null.",
    ),
  createdAt: z.date(),
});

const instant = (name: string) =>
  instantInput(`${name} must be an ISO 8601 date-time`)
    .transform((value) => new Date(value))
    .optional();

const filterQuery = listQuery.extend({
  action: z.string().min(1).max(100).optional(),
  actor: z.string().min(1).max(200).optional(),
  since: instant("since"),
  until: instant("until"),
});

const auditLogResponse = (row: AuditLogRow): z.infer<typeof auditLogSchema> => ({
  id: row.id,
  action: row.action,
  actor: row.actor,
  organizationId: row.organizationId,
  reason: row.reason,
  before: row.before ?? null,
  after: row.after ?? null,
  metadata: (row.metadata as Record<string, unknown> | null) ?? null,
  requestId: row.requestId,
  clientRequestId: row.clientRequestId,
  createdAt: row.createdAt,
});

const description =
  "Newest first. The trail is append-only: the database refuses any UPDATE, DELETE or TRUNCATE of it. Filters: `action` (e.g. `root.organization_plan_set`), `actor`, `since` (inclusive) and `until` (exclusive) as ISO 8601 date-times.";

/** The audit trail (docs/root-and-audit.md "The audit trail"): root reads all of it; an organization's admins read theirs. */
export const auditLogRoutes: RouteModule = (app, { db }) => {
  app.get(
    "/v1/audit-logs",
    {
      config: { access: access.root },
      schema: {
        tags: ["audit"],
        summary: "The audit trail",
        description,
        querystring: filterQuery.extend({ organizationId: z.string().min(1).max(100).optional() }),
        response: { 200: listResponse(auditLogSchema) },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const rows = await listAuditLogs({ executor: db, filter, limit: limit + 1, cursor });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(auditLogResponse) };
    },
  );

  app.get(
    "/v1/organizations/:orgId/audit-logs",
    {
      config: { access: access.organization("owner", "billing_admin") },
      schema: {
        tags: ["audit"],
        summary: "The organization's audit trail",
        description: `Every entry about this organization, root's actions included. ${description}`,
        params: z.object({ orgId: z.string() }),
        querystring: filterQuery,
        response: { 200: listResponse(auditLogSchema) },
      },
    },
    async (request) => {
      const organizationId = request.params.orgId;
      await getOrganizationRecord({ db, organizationId });
      const { limit, cursor, ...filter } = request.query;
      const rows = await listAuditLogs({
        executor: db,
        filter: { ...filter, organizationId },
        limit: limit + 1,
        cursor,
      });
      const page = toPage(rows, limit);
      return { ...page, data: page.data.map(auditLogResponse) };
    },
  );
};
